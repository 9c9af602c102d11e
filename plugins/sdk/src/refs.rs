//! Teams, venues and TV windows as the host passes them: small numbers
//! (refs) that index the league's id lists, resolved to their string ids only
//! when a rule asks.
//!
//! The host sends a [`Game`](crate::Game)'s teams, venue and TV window as
//! refs so a call carries no strings. [`TeamRef`], [`VenueRef`] and
//! [`TvWindowRef`] wrap them: comparing two refs, or passing one to a query,
//! is free; [`id`](TeamRef::id), `Display` and comparing with a string fetch
//! the league's ids once per instance (`league.ids()`, cached for the life of
//! the instance, as the host keeps them fixed) and allocate nothing after
//! that.

use std::fmt;
use std::sync::OnceLock;

use crate::IdLists;

/// The league's ids, fetched on first use.
static IDS: OnceLock<IdLists> = OnceLock::new();

/// The league's ids, fetched from the host on the first call and cached.
pub(crate) fn ids() -> &'static IdLists {
    IDS.get_or_init(fetch_ids)
}

#[cfg(not(test))]
fn fetch_ids() -> IdLists {
    crate::bindings::umpire::plugin::league::ids()
}

/// Natively there is no host: the tests' league.
#[cfg(test)]
fn fetch_ids() -> IdLists {
    let owned = |ids: &[&str]| ids.iter().map(|&s| s.to_owned()).collect();
    IdLists {
        teams: owned(&["BOS", "CHI", "LA"]),
        venues: owned(&["bos-garden", "chi-field"]),
        tv_windows: owned(&["sat-night"]),
    }
}

mod sealed {
    #[allow(unreachable_pub, reason = "the usual sealed-trait pattern")]
    pub trait Sealed {}
}

/// What [`TeamRef`], [`VenueRef`] and [`TvWindowRef`] have in common; sealed.
pub trait Ref: sealed::Sealed + Copy + Sized {
    /// The ref at this position of its id list.
    fn from_index(index: u32) -> Self;
    /// The ref whose id is `id`, if the league has one.
    fn find(id: &str) -> Option<Self>;
}

/// Anything that names a team, venue or TV window for a query: the ref
/// itself (`game.home()`), a raw ref field of a [`Game`](crate::Game)
/// (`game.home`), or an id (`"CHI"`, `&team.id`), which is looked up in the
/// league's ids. An id the league does not have names nothing: the query
/// answers as for a team without games (empty, `None`).
pub trait IntoRef<R: Ref> {
    /// The ref, or `None` for an unknown id.
    fn into_ref(self) -> Option<R>;
}

impl<R: Ref> IntoRef<R> for R {
    #[inline]
    fn into_ref(self) -> Option<R> {
        Some(self)
    }
}

impl<R: Ref> IntoRef<R> for &R {
    #[inline]
    fn into_ref(self) -> Option<R> {
        Some(*self)
    }
}

impl<R: Ref> IntoRef<R> for u32 {
    #[inline]
    fn into_ref(self) -> Option<R> {
        Some(R::from_index(self))
    }
}

impl<R: Ref> IntoRef<R> for &str {
    fn into_ref(self) -> Option<R> {
        R::find(self)
    }
}

impl<R: Ref> IntoRef<R> for &String {
    fn into_ref(self) -> Option<R> {
        R::find(self)
    }
}

/// Position of `id` in `list`.
fn position(list: &[String], id: &str) -> Option<u32> {
    list.iter()
        .position(|s| s == id)
        .and_then(|i| u32::try_from(i).ok())
}

macro_rules! reference {
    (
        $(#[$doc:meta])*
        $name:ident, $list:ident, $what:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl sealed::Sealed for $name {}

        impl Ref for $name {
            #[inline]
            fn from_index(index: u32) -> Self {
                Self(index)
            }

            fn find(id: &str) -> Option<Self> {
                position(&ids().$list, id).map(Self)
            }
        }

        impl $name {
            /// The ref at this position of the league's list (what the host
            /// sends).
            #[inline]
            pub const fn new(index: u32) -> Self {
                Self(index)
            }

            /// The position in the league's list, as the host sent it.
            #[inline]
            pub const fn get(self) -> u32 {
                self.0
            }

            /// The position, for indexing a `Vec` with one slot per entry of
            /// the league's list.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The id, e.g. `"CHI"`. The first call in an instance fetches
            /// the league's ids; later ones are a lookup.
            ///
            /// # Panics
            ///
            /// When the ref is not one the host sent (out of range): a bug,
            /// so the instance traps. A game's field that the manifest's
            /// `[wasm] fields` leaves out comes as the ref 4294967295; the
            /// message says so.
            pub fn id(self) -> &'static str {
                let list = &ids().$list;
                match list.get(self.index()) {
                    Some(id) => id,
                    None if self.0 == u32::MAX => panic!(
                        concat!(
                            "a ", $what, " field of a game was read, but the manifest's ",
                            "`[wasm] fields` leaves it out: add it there"
                        )
                    ),
                    None => panic!(
                        concat!($what, "-ref {} is out of range: the league has {}"),
                        self.0,
                        list.len()
                    ),
                }
            }
        }

        impl From<u32> for $name {
            #[inline]
            fn from(index: u32) -> Self {
                Self(index)
            }
        }

        impl From<$name> for u32 {
            #[inline]
            fn from(r: $name) -> Self {
                r.0
            }
        }

        impl fmt::Display for $name {
            /// The id, as the host writes it.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }

        impl AsRef<str> for $name {
            /// The id: lets a violation builder take the ref.
            fn as_ref(&self) -> &str {
                self.id()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.id() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.id() == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.id() == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.id()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.id()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.id()
            }
        }
    };
}

reference! {
    /// A team, as the host sends it: a position in the league's team list.
    ///
    /// `Display`, [`id`](Self::id) and `== "CHI"` give or compare the id;
    /// `==` between two refs compares positions.
    TeamRef, teams, "team"
}

reference! {
    /// A venue, as the host sends it: a position in the league's venue list.
    ///
    /// `Display`, [`id`](Self::id) and `== "chi-field"` give or compare the
    /// id; `==` between two refs compares positions.
    VenueRef, venues, "venue"
}

reference! {
    /// A TV window, as the host sends it: a position in the league's list of
    /// TV windows.
    ///
    /// `Display`, [`id`](Self::id) and `== "sat-night"` give or compare the
    /// id; `==` between two refs compares positions.
    TvWindowRef, tv_windows, "tv-window"
}

impl TeamRef {
    /// The team's record (a host call).
    pub fn team(self) -> Option<crate::Team> {
        crate::bindings::umpire::plugin::league::team_by_id(self.id())
    }
}

impl VenueRef {
    /// The venue's record (a host call).
    pub fn venue(self) -> Option<crate::Venue> {
        crate::bindings::umpire::plugin::league::venue_by_id(self.id())
    }
}

impl TvWindowRef {
    /// The TV window's record (a host call).
    pub fn window(self) -> Option<crate::TvWindow> {
        crate::bindings::umpire::plugin::league::tv_window_by_id(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_resolve_to_ids() {
        let chi = TeamRef::new(1);
        assert_eq!(chi.id(), "CHI");
        assert_eq!(chi.to_string(), "CHI");
        assert!(chi == "CHI");
        assert!("CHI" == chi);
        assert!(chi == *"CHI");
        let owned = String::from("CHI");
        assert!(chi == owned);
        assert!(owned == chi);
        assert!(chi != "BOS");
        assert_eq!(chi, TeamRef::new(1));
        assert_eq!(VenueRef::new(1).id(), "chi-field");
        assert_eq!(TvWindowRef::new(0).as_ref(), "sat-night");
    }

    #[test]
    fn ids_and_raw_fields_name_refs() {
        assert_eq!(IntoRef::<TeamRef>::into_ref("LA"), Some(TeamRef::new(2)));
        assert_eq!(IntoRef::<TeamRef>::into_ref("NYC"), None);
        assert_eq!(IntoRef::<VenueRef>::into_ref(1u32), Some(VenueRef::new(1)));
        let id = String::from("bos-garden");
        assert_eq!(IntoRef::<VenueRef>::into_ref(&id), Some(VenueRef::new(0)));
    }

    #[test]
    #[should_panic(expected = "team-ref 7 is out of range: the league has 3")]
    fn an_unknown_ref_panics() {
        let _ = TeamRef::new(7).id();
    }

    #[test]
    #[should_panic(
        expected = "a venue field of a game was read, but the manifest's `[wasm] fields` leaves it out"
    )]
    fn a_field_left_out_of_the_manifest_says_so() {
        let _ = VenueRef::new(u32::MAX).id();
    }
}
