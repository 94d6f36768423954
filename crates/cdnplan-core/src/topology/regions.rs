//! Geographic regions for families: the UN M49 sub-regions, grouped as a CDN lead names them.
//!
//! A family is meant to group buckets "with interchangeable semantics from distributional point
//! of view" (Joystream spec issue #2224), in practice one region of the world. [`REGIONS`] is
//! the catalogue the reassignment planner matches nodes and families against: the sub-regions
//! of the UN M49 standard (United Nations Statistics Division, "Standard country or area codes
//! for statistical use"), with Middle, Eastern and Southern Africa merged into one
//! sub-Saharan region east and south of Western Africa, and Central America merged with the
//! Caribbean. Each region has a code in the style of the Joystream mainnet family metadata
//! (`eu-west-1`), a description, the aliases its description may be written with, and its
//! countries (ISO 3166-1 alpha-2).
//!
//! ```
//! use cdnplan_core::topology::regions::{region_of_country, regions_named_in};
//! use cdnplan_core::CountryCode;
//!
//! let de = region_of_country(CountryCode::new("DE")?).unwrap();
//! assert_eq!(de.description, "Western Europe");
//! let named = regions_named_in("Northern Africa / Southern Europe");
//! assert_eq!(named.iter().map(|r| r.key).collect::<Vec<_>>(), ["eu-south", "af-north"]);
//! # Ok::<(), cdnplan_core::Error>(())
//! ```

use crate::geo::{Continent, CountryCode};

/// One region of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Short stable key, e.g. `"eu-west"`.
    pub key: &'static str,
    /// Family metadata `region` value for a family of this region, e.g. `"eu-west-1"`.
    pub code: &'static str,
    /// Family metadata `description`, e.g. `"Western Europe"`.
    pub description: &'static str,
    /// The continent the region lies in.
    pub continent: Continent,
    /// Lower-case phrases that name the region in free text (longest match wins).
    pub aliases: &'static [&'static str],
    /// Its countries, ISO 3166-1 alpha-2, space-separated.
    pub countries: &'static str,
}

impl Region {
    /// True when `cc` lies in the region.
    pub fn contains(&self, cc: CountryCode) -> bool {
        self.countries.split(' ').any(|c| c == cc.as_str())
    }
}

/// The catalogue, in a fixed order (its index is the region's rank in reports).
pub const REGIONS: &[Region] = &[
    Region {
        key: "eu-north",
        code: "eu-north-1",
        description: "Northern Europe",
        continent: Continent::EU,
        aliases: &["northern europe", "north europe", "nordics", "scandinavia"],
        countries: "AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ",
    },
    Region {
        key: "eu-west",
        code: "eu-west-1",
        description: "Western Europe",
        continent: Continent::EU,
        aliases: &["western europe", "west europe", "central europe"],
        countries: "AT BE CH DE FR LI LU MC NL",
    },
    Region {
        key: "eu-east",
        code: "eu-east-1",
        description: "Eastern Europe",
        continent: Continent::EU,
        aliases: &["eastern europe", "east europe", "cis"],
        countries: "BG BY CZ HU MD PL RO RU SK UA",
    },
    Region {
        key: "eu-south",
        code: "eu-south-1",
        description: "Southern Europe",
        continent: Continent::EU,
        aliases: &["southern europe", "south europe", "mediterranean"],
        countries: "AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA XK",
    },
    Region {
        key: "af-north",
        code: "af-north-1",
        description: "Northern Africa",
        continent: Continent::AF,
        aliases: &["northern africa", "north africa"],
        countries: "DZ EG EH LY MA SD TN",
    },
    Region {
        key: "af-west",
        code: "af-west-1",
        description: "Western Africa",
        continent: Continent::AF,
        aliases: &["western africa", "west africa"],
        countries: "BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG",
    },
    Region {
        key: "af-south",
        code: "af-south-1",
        description: "Southern Africa",
        continent: Continent::AF,
        aliases: &[
            "southern africa",
            "south africa",
            "eastern africa",
            "east africa",
            "middle africa",
            "central africa",
            "sub-saharan africa",
        ],
        countries: "AO BI BW CD CF CG CM DJ ER ET GA GQ IO KE KM LS MG MU MW MZ NA RE RW SC SO SS ST SZ TD TF TZ UG YT ZA ZM ZW",
    },
    Region {
        key: "as-west",
        code: "me-1",
        description: "Western Asia / Middle East",
        continent: Continent::AS,
        aliases: &["western asia", "west asia", "middle east"],
        countries: "AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE",
    },
    Region {
        key: "as-central",
        code: "as-central-1",
        description: "Central Asia",
        continent: Continent::AS,
        aliases: &["central asia"],
        countries: "KG KZ TJ TM UZ",
    },
    Region {
        key: "as-south",
        code: "as-south-1",
        description: "Southern Asia",
        continent: Continent::AS,
        aliases: &["southern asia", "south asia", "indian subcontinent"],
        countries: "AF BD BT IN IR LK MV NP PK",
    },
    Region {
        key: "as-east",
        code: "as-east-1",
        description: "Eastern Asia",
        continent: Continent::AS,
        aliases: &["eastern asia", "east asia"],
        countries: "CN HK JP KP KR MN MO TW",
    },
    Region {
        key: "as-southeast",
        code: "sea-1",
        description: "Southeast Asia",
        continent: Continent::AS,
        aliases: &["southeast asia", "south-east asia", "south-eastern asia"],
        countries: "BN ID KH LA MM MY PH SG TH TL VN",
    },
    Region {
        key: "oc",
        code: "oc-1",
        description: "Australia / Oceania",
        continent: Continent::OC,
        aliases: &["oceania", "australia"],
        countries: "AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
    },
    Region {
        key: "na",
        code: "na-1",
        description: "Northern America",
        continent: Continent::NA,
        aliases: &["northern america", "north america"],
        countries: "BM CA GL PM US",
    },
    Region {
        key: "na-central",
        code: "ca-1",
        description: "Central America / Caribbean",
        continent: Continent::NA,
        aliases: &["central america", "caribbean", "mexico"],
        countries: "AG AI AW BB BL BQ BS BZ CR CU CW DM DO GD GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PR SV SX TC TT VC VG VI",
    },
    Region {
        key: "sa",
        code: "sa-1",
        description: "South America",
        continent: Continent::SA,
        aliases: &["south america", "latin america"],
        countries: "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
    },
    Region {
        key: "an",
        code: "an-1",
        description: "Antarctica",
        continent: Continent::AN,
        aliases: &["antarctica"],
        countries: "AQ",
    },
];

/// The region of a country; `None` for a code the catalogue does not list.
pub fn region_of_country(cc: CountryCode) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.contains(cc))
}

/// The region with `key`.
pub fn region(key: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.key == key)
}

/// The regions a free-text family description names, in catalogue order. The text is split at
/// `/`, `,`, `;` and `&`; each part names the region whose longest alias it contains (so
/// "Central / Northern South America" names South America, "Eastern Europe / CIS" Eastern
/// Europe). A region code such as `eu-west-1` is recognised too.
pub fn regions_named_in(text: &str) -> Vec<&'static Region> {
    let mut found: Vec<&'static Region> = Vec::new();
    for part in text.split(['/', ',', ';', '&']) {
        let p = part.trim().to_ascii_lowercase();
        if p.is_empty() {
            continue;
        }
        let mut best: Option<(&'static Region, usize)> = None;
        for r in REGIONS {
            if p == r.code || p == r.key {
                best = Some((r, usize::MAX));
                break;
            }
            for a in r.aliases {
                if p.contains(a) && best.is_none_or(|(_, l)| a.len() > l) {
                    best = Some((r, a.len()));
                }
            }
        }
        if let Some((r, _)) = best
            && !found.iter().any(|f| f.key == r.key)
        {
            found.push(r);
        }
    }
    found.sort_by_key(|r| rank(r.key));
    found
}

/// The catalogue index of the region `key` (`usize::MAX` when unknown).
pub fn rank(key: &str) -> usize {
    REGIONS
        .iter()
        .position(|r| r.key == key)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).unwrap()
    }

    #[test]
    fn every_country_is_in_at_most_one_region() {
        let mut seen = std::collections::BTreeMap::new();
        for r in REGIONS {
            for c in r.countries.split(' ') {
                assert_eq!(c.len(), 2, "{c}");
                assert!(seen.insert(c, r.key).is_none(), "{c} listed twice");
            }
        }
        assert!(seen.len() > 240, "{}", seen.len());
    }

    #[test]
    fn mainnet_family_descriptions_name_their_regions() {
        let keys = |t: &str| {
            regions_named_in(t)
                .iter()
                .map(|r| r.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys("Northern Europe"), ["eu-north"]);
        assert_eq!(keys("Eastern Europe / CIS"), ["eu-east"]);
        assert_eq!(keys("Central / Northern South America"), ["sa"]);
        assert_eq!(keys("Eastern North America"), ["na"]);
        assert_eq!(keys("Southeast Asia"), ["as-southeast"]);
        assert_eq!(keys("Australia / Oceania"), ["oc"]);
        assert_eq!(keys("eu-west-1"), ["eu-west"]);
        assert!(keys("somewhere").is_empty());
    }

    #[test]
    fn nuremberg_and_india_lie_outside_their_2023_families() {
        assert_eq!(region_of_country(cc("DE")).unwrap().key, "eu-west");
        assert_eq!(region_of_country(cc("IN")).unwrap().key, "as-south");
        assert_eq!(region_of_country(cc("SG")).unwrap().key, "as-southeast");
    }
}
