//! One spelling per value of the small enums that users type (methods, backends, statuses,
//! assignments): the name serde writes, `FromStr` reads (any case, `-` for `_`), `Display`
//! prints, and `NAMES` lists for help texts.

/// Implements `NAMES`, `name()`, `Display` and `FromStr` for a fieldless enum whose serde names
/// are given.
macro_rules! named {
    ($ty:ty, $what:literal, { $($variant:path => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value's name, as typed on a command line or in a scenario.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// This value's name (the one serde writes).
            pub fn name(self) -> &'static str {
                match self {
                    $($variant => $name),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::Error;

            fn from_str(s: &str) -> crate::Result<Self> {
                let key = s.trim().to_ascii_lowercase().replace('-', "_");
                match key.as_str() {
                    $($name => Ok($variant),)+
                    _ => Err(crate::Error::Parse {
                        what: concat!($what, " (", $crate::named::join!($($name),+), ")"),
                        value: s.to_string(),
                    }),
                }
            }
        }
    };
}

/// `"a, b or c"` at compile time.
macro_rules! join {
    ($only:literal) => { $only };
    ($a:literal, $b:literal) => { concat!($a, " or ", $b) };
    ($first:literal, $($rest:literal),+) => { concat!($first, ", ", $crate::named::join!($($rest),+)) };
}

pub(crate) use {join, named};

#[cfg(test)]
mod tests {
    use crate::solve::{Method, MipBackend, Status};

    #[test]
    fn names_round_trip_and_match_serde() {
        for &n in Method::NAMES {
            let m: Method = n.parse().unwrap();
            assert_eq!(m.to_string(), n);
            assert_eq!(serde_json::to_value(m).unwrap(), n);
        }
        for &n in Status::NAMES {
            let s: Status = n.parse().unwrap();
            assert_eq!(serde_json::to_value(s).unwrap(), n);
        }
        assert_eq!("GAP-LIMIT".parse::<Status>().unwrap(), Status::GapLimit);
        assert_eq!(
            "cplex".parse::<MipBackend>().unwrap_err().to_string(),
            "invalid MIP backend (microlp or highs): \"cplex\""
        );
        assert_eq!(
            "fast".parse::<Method>().unwrap_err().to_string(),
            "invalid method (auto, exact or heuristic): \"fast\""
        );
    }
}
