//! Connections: accepting them under a cap, the timeouts that keep a slow or
//! idle client from holding one forever, and the bounded drain at shutdown.
//!
//! axum's own `serve` sets no timer, so hyper's header-read timeout never
//! fires there and a client that sends half a request line holds its
//! connection for as long as it likes. This loop drives hyper directly: a
//! connection past `server.max_connections` is answered 503 and closed
//! before anything is read; every connection gets `server.header_timeout_ms`
//! to send each request's headers (which also bounds how long a kept-alive
//! connection may sit idle) and `server.write_timeout_ms` to take each
//! part of its answer; after SIGTERM the connections in flight get
//! `server.shutdown_drain_ms` to finish, then they are closed.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::state::App;

/// How long a refused connection is given to take its 503.
const REFUSAL_LINGER: Duration = Duration::from_millis(200);

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) {
    let config = &app.config.server;
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(config.header_timeout_ms))
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let write_timeout = Duration::from_millis(config.write_timeout_ms);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors, most likely: say so, and give
                // the connections being closed a moment rather than spin.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Answers go out as they are written: without TCP_NODELAY, an NDJSON
        // stream's small chunks wait on the client's delayed ACK (~40 ms each
        // time, as the load harness showed).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            app.metrics.connections_refused.inc();
            tokio::spawn(refuse(tcp, config.max_connections, config.retry_after_s));
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let io = TokioIo::new(WriteTimeout::new(tcp, write_timeout));
        let connection = graceful.watch(http.serve_connection(io, service));
        let app = app.clone();
        app.metrics.connections.inc();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            app.metrics.connections.dec();
            drop(permit);
        });
    }
    drop(listener);
    let drain = Duration::from_millis(config.shutdown_drain_ms);
    let open = graceful.count();
    if open > 0 {
        tracing::info!(
            connections = open,
            "waiting up to {} ms for the requests in flight",
            drain.as_millis()
        );
    }
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} ms (server.shutdown_drain_ms); closing their connections",
            drain.as_millis()
        );
    }
}

/// Answers a connection past the cap with a 503 and closes it, without
/// reading its request (beyond what lingers, so the close is not a reset).
async fn refuse(mut tcp: TcpStream, cap: usize, retry_after: u64) {
    let body = serde_json::json!({"error": {
        "code": "too_many_connections",
        "message": format!("{cap} connections are open already (server.max_connections); try again later"),
    }})
    .to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {retry_after}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let answer = async {
        tcp.write_all(head.as_bytes()).await?;
        tcp.write_all(body.as_bytes()).await?;
        tcp.shutdown().await?;
        // Take what the client sent meanwhile, so closing does not reset the
        // connection before it reads the answer.
        let mut sink = [0u8; 4096];
        while tcp.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, answer).await;
}

/// A connection whose writes fail once the client has taken nothing for
/// `limit`: hyper has no write timeout of its own, and a client that never
/// reads its answer would otherwise hold the connection (and a stream's
/// evaluation) for good.
struct WriteTimeout<T> {
    inner: T,
    limit: Duration,
    /// Set while a write waits for the client; cleared by progress.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteTimeout<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Called when a write would wait: starts the clock, or fails once it
    /// ran out.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Error> {
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "the client took none of its answer for {} ms (server.write_timeout_ms)",
                limit.as_millis()
            ),
        ))
    }

    /// Applies the clock to one poll of a write.
    fn timed<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<std::io::Result<R>>,
    ) -> Poll<std::io::Result<R>>
    where
        T: Unpin,
    {
        match poll(Pin::new(&mut self.inner), cx) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.waiting(cx).map(Err),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.timed(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.timed(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.timed(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.timed(cx, |io, cx| io.poll_shutdown(cx))
    }
}
