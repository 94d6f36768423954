//! Tests of demand cells, the aggregator and growth.

use super::*;
use std::net::Ipv4Addr;

fn key(id: &str, lat: f64, lon: f64) -> CellKey {
    CellKey {
        id: id.into(),
        location: GeoPoint { lat, lon },
        country: CountryCode::new(&id[..2]).ok(),
        continent: Some(Continent::EU),
    }
}

#[test]
fn client_aggregates_keep_distinct_clients_exact() {
    let ip1 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
    let ip2 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 5));
    let mut a = DemandAggregator::new(CellKind::Country);
    a.record_client(key("DE", 51.0, 10.0), ip1, 3, 30);
    a.record_client(key("DE", 51.0, 10.0), ip2, 1, 5);
    let mut b = DemandAggregator::new(CellKind::Country);
    let de = b.intern(key("DE", 51.0, 10.0));
    b.record(
        de,
        7,
        ip1,
        GeoPoint {
            lat: 51.0,
            lon: 10.0,
        },
    );
    a.merge(b);
    let d = a.finish();
    let c = &d.cells[0];
    assert_eq!((c.requests, c.bytes, c.unique_clients), (5, 42, 2));
}

#[test]
fn aggregates_and_counts_distinct_clients() {
    let mut a = DemandAggregator::new(CellKind::Country);
    let de = a.intern(key("DE", 51.0, 10.0));
    let fr = a.intern(key("FR", 46.0, 2.0));
    assert_eq!(a.intern(key("DE", 0.0, 0.0)), de);
    let ip1 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4));
    let ip2 = IpAddr::V4(Ipv4Addr::new(1, 2, 3, 5));
    a.record(
        de,
        100,
        ip1,
        GeoPoint {
            lat: 51.0,
            lon: 10.0,
        },
    );
    a.record(
        de,
        50,
        ip1,
        GeoPoint {
            lat: 51.0,
            lon: 10.0,
        },
    );
    a.record(
        fr,
        7,
        ip2,
        GeoPoint {
            lat: 46.0,
            lon: 2.0,
        },
    );
    let d = a.finish();
    assert_eq!(d.cells.len(), 2);
    assert_eq!(d.cells[0].id, "DE");
    assert_eq!(
        (
            d.cells[0].requests,
            d.cells[0].bytes,
            d.cells[0].unique_clients
        ),
        (2, 150, 1)
    );
    assert_eq!(d.total_requests(), 3);
}

#[test]
fn merge_equals_single_pass() {
    let ips: Vec<IpAddr> = (0..50u8)
        .map(|i| IpAddr::V4(Ipv4Addr::new(10, 0, 0, i % 7)))
        .collect();
    let mut whole = DemandAggregator::new(CellKind::Country);
    let mut left = DemandAggregator::new(CellKind::Country);
    let mut right = DemandAggregator::new(CellKind::Country);
    for (n, ip) in ips.iter().enumerate() {
        let id = if n % 3 == 0 { "DE" } else { "FR" };
        let p = GeoPoint { lat: 1.0, lon: 1.0 };
        // Times jump back and forth across hours, as batches from parallel workers do.
        let t = 1_686_700_800 + (n as i64 * 7_919) % 20_000;
        let i = whole.intern(key(id, 1.0, 1.0));
        whole.record_at(i, n as u64, *ip, p, t);
        let part = if n % 2 == 0 { &mut left } else { &mut right };
        let j = part.intern(key(id, 1.0, 1.0));
        part.record_at(j, n as u64, *ip, p, t);
    }
    left.merge(right);
    let (merged, whole) = (left.finish(), whole.finish());
    assert_eq!(merged, whole);
    let hourly = whole.hourly.unwrap();
    assert_eq!(hourly.span_hours(), 6);
    assert_eq!(hourly.total_requests(), 50);
    assert_eq!(hourly.total_bytes(), (0..50).sum::<u64>());
}

mod hourly {
    use super::*;

    const H0: i64 = 1_686_700_800; // 2023-06-14 00:00 UTC

    #[test]
    fn record_at_counts_every_request_in_its_hour() {
        let mut a = DemandAggregator::new(CellKind::Country);
        let de = a.intern(key("DE", 51.0, 10.0));
        let p = GeoPoint { lat: 1.0, lon: 1.0 };
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for (t, b) in [(10, 5), (3_599, 5), (3_600, 40), (-1, 2), (30, 0)] {
            a.record_at(de, b, ip, p, H0 + t);
        }
        a.record_hour(H0 + 7_200, 3, 1_000);
        let d = a.finish();
        let h = &d.hourly.as_ref().unwrap().hours;
        let rows: Vec<(i64, u64, u64)> = h
            .iter()
            .map(|(&k, c)| (k - H0, c.requests, c.bytes))
            .collect();
        assert_eq!(
            rows,
            [
                (-3_600, 1, 2),
                (0, 3, 10),
                (3_600, 1, 40),
                (7_200, 3, 1_000)
            ]
        );
        assert_eq!(d.busiest_hour().unwrap().start_s, H0 + 7_200);
        assert_eq!(d.mean_bytes_per_hour(), Some(1_052.0 / 4.0));
        assert_eq!(d.peak_to_mean(), Some(1_000.0 / 263.0));
    }

    #[test]
    fn requests_without_times_leave_no_profile() {
        let mut a = DemandAggregator::new(CellKind::Country);
        let de = a.intern(key("DE", 51.0, 10.0));
        a.record(
            de,
            9,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            GeoPoint { lat: 1.0, lon: 1.0 },
        );
        let d = a.finish();
        assert_eq!(d.hourly, None);
        assert_eq!((d.busiest_hour(), d.peak_to_mean()), (None, None));
    }

    #[test]
    fn json_without_a_profile_still_parses_and_one_round_trips() {
        let old = r#"{"kind":{"kind":"country"},"cells":[]}"#;
        let d: Demand = serde_json::from_str(old).unwrap();
        assert_eq!(d, Demand::default());
        assert_eq!(serde_json::to_string(&d).unwrap(), old);
        let mut p = HourlyProfile::default();
        p.add(H0, 2, 30);
        let d = d.with_hourly(p);
        let s = serde_json::to_string(&d).unwrap();
        assert!(s.contains(r#""hourly":{"1686700800":{"requests":2,"bytes":30}}"#));
        assert_eq!(serde_json::from_str::<Demand>(&s).unwrap(), d);
    }
}

#[test]
fn city_means_do_not_depend_on_record_order() {
    let pts: Vec<GeoPoint> = (0..200)
        .map(|i| GeoPoint {
            lat: 50.0 + f64::from(i) * 0.013_7,
            lon: 30.0 - f64::from(i) * 0.009_1,
        })
        .collect();
    let run = |order: &mut dyn Iterator<Item = &GeoPoint>| {
        let mut a = DemandAggregator::new(CellKind::City);
        let c = a.intern(key("UA/Kyiv", 50.0, 30.0));
        for p in order {
            a.record(c, 1, IpAddr::V4(Ipv4Addr::LOCALHOST), *p);
        }
        a.finish().cells[0].location
    };
    assert_eq!(run(&mut pts.iter()), run(&mut pts.iter().rev()));
}

#[test]
fn geotile_matches_elasticsearch_keys() {
    // Keys computed by Elasticsearch's geotile_grid for these points.
    let berlin = GeoPoint {
        lat: 52.52,
        lon: 13.405,
    };
    assert_eq!(geotile_key(&berlin, 0), "0/0/0");
    assert_eq!(geotile_key(&berlin, 6), "6/34/20");
    let sp = GeoPoint {
        lat: -23.55,
        lon: -46.63,
    };
    assert_eq!(geotile_key(&sp, 4), "4/5/9");
    let (z, x, y) = parse_geotile_key("6/34/20").unwrap();
    let c = geotile_centre(z, x, y);
    assert_eq!(geotile_key(&c, 6), "6/34/20");
    assert!(parse_geotile_key("2/4/0").is_err());
}

#[test]
fn cell_kind_parses() {
    assert_eq!(
        "geotile:7".parse::<CellKind>().unwrap(),
        CellKind::Geotile { zoom: 7 }
    );
    assert!("geotile:30".parse::<CellKind>().is_err());
    assert!("state".parse::<CellKind>().is_err());
}

#[test]
fn empty_demand_is_an_error() {
    let d = Demand::new(CellKind::Country, vec![]).unwrap();
    assert!(matches!(
        d.ensure_not_empty(Weighting::Requests),
        Err(Error::EmptyDemand(_))
    ));
}

#[test]
fn growth_scales_the_named_countries_only() {
    let cell = |id: &str, requests: u64| DemandCell {
        id: id.into(),
        location: GeoPoint {
            lat: 50.0,
            lon: 10.0,
        },
        country: CountryCode::new(id).ok(),
        continent: Some(Continent::EU),
        requests,
        bytes: requests * 1000,
        unique_clients: requests / 10,
    };
    let d = Demand::new(CellKind::Country, vec![cell("RU", 1001), cell("DE", 500)]).unwrap();
    let growth = BTreeMap::from([(CountryCode::new("RU").unwrap(), 0.5)]);
    let g = d.grown(&growth).unwrap();
    let ru = g.cells.iter().find(|c| c.id == "RU").unwrap();
    // 1001 × 0.5 = 500.5 rounds to 501 (half away from zero).
    assert_eq!(
        (ru.requests, ru.bytes, ru.unique_clients),
        (501, 500_500, 50)
    );
    assert_eq!(
        g.cells.iter().find(|c| c.id == "DE"),
        d.cells.iter().find(|c| c.id == "DE")
    );
    for bad in [-1.0, f64::NAN, f64::INFINITY, 1e6] {
        let growth = BTreeMap::from([(CountryCode::new("DE").unwrap(), bad)]);
        assert!(
            matches!(d.grown(&growth), Err(Error::InvalidWeight { .. })),
            "{bad}"
        );
    }
    // A factor that pushes a count past the exact range is refused, not wrapped.
    let huge = Demand::new(CellKind::Country, vec![cell("DE", MAX_COUNT / 2000)]).unwrap();
    let growth = BTreeMap::from([(CountryCode::new("DE").unwrap(), 1000.0)]);
    assert!(huge.grown(&growth).is_err());
}

/// Issue 15 row 3: counts and byte sums stop at `u64::MAX`, in a cell and across merges (the
/// hourly profile is fed too); they never wrap to a small number.
#[test]
fn sums_saturate_instead_of_wrapping() {
    let big = u64::MAX / 2 + 1;
    let mut a = DemandAggregator::new(CellKind::Country);
    a.record_aggregate(key("DE", 51.0, 10.0), big, big, big);
    a.record_aggregate(key("DE", 51.0, 10.0), big, big, big);
    let mut b = DemandAggregator::new(CellKind::Country);
    b.record_aggregate(key("DE", 51.0, 10.0), big, big, 1);
    b.record_hour(3600, big, big);
    b.record_hour(3600, big, big);
    a.merge(b);
    let d = a.finish();
    let c = &d.cells[0];
    assert_eq!((c.requests, c.bytes), (u64::MAX, u64::MAX));
    assert!(c.unique_clients >= big, "{}", c.unique_clients);
}
