use super::*;

fn ok(head: u64, done: u64) -> Observation {
    Observation {
        status_ok: true,
        asset_ok: Some(true),
        distributing: true,
        query_node: Some((head, done)),
        ..Default::default()
    }
}

mod classify {
    use super::*;

    #[test]
    fn lag_is_measured_against_the_median_of_ok_distributing_nodes() {
        // The lagging node of a disabled bucket does not move the median.
        let mut off = ok(10, 10);
        off.distributing = false;
        let run = [ok(500, 498), ok(501, 499), ok(502, 500), off, ok(480, 480)];
        let v = classify(&run);
        let got: Vec<_> = v.iter().map(|v| v.status).collect();
        use PingStatus::*;
        assert_eq!(got, [Ok, Ok, Ok, Degraded, Degraded]);
        assert_eq!(
            v[4].degraded,
            Some(Degradation::QueryNodeLag {
                ref_chain_head: 501,
                ref_blocks_processed: 499
            })
        );
        assert_eq!(v[0].diffs, Some((1, 1)));
    }

    #[test]
    fn exactly_the_threshold_is_not_degraded() {
        let v = classify(&[ok(100, 100), ok(110, 110), ok(110, 110)]);
        assert_eq!(v[0].status, PingStatus::Ok);
        assert_eq!(v[0].diffs, Some((10, 10)));
        let v = classify(&[ok(99, 100), ok(110, 110), ok(110, 110)]);
        assert_eq!(v[0].status, PingStatus::Degraded);
    }

    #[test]
    fn a_node_that_disowns_its_bucket_is_degraded() {
        let mut o = ok(5, 5);
        o.bucket_missing = true;
        let v = classify(&[o]);
        assert_eq!(v[0].status, PingStatus::Degraded);
        assert_eq!(v[0].degraded, Some(Degradation::BucketNotServed));
    }

    #[test]
    fn no_asset_asked_is_ok_and_no_query_node_status_is_never_degraded() {
        let o = Observation {
            status_ok: true,
            distributing: true,
            ..Default::default()
        };
        let v = classify(&[o, ok(1, 1)]);
        assert_eq!(v[0].status, PingStatus::Ok);
        assert_eq!(v[0].diffs, None);
    }

    #[test]
    fn empty_run() {
        assert!(classify(&[]).is_empty());
    }
}

mod summarise {
    use super::*;

    fn s(op: &str, src: &str, t: i64, status: PingStatus, ttfb: Option<f64>) -> Sample {
        Sample {
            operator: op.into(),
            source: src.into(),
            time_ms: t,
            status,
            distributing: Some(true),
            serves_bucket: None,
            ttfb_ms: ttfb,
            endpoint: format!("https://{op}/"),
            bucket: "0:0".into(),
        }
    }

    #[test]
    fn a_disabled_bucket_counts_as_down() {
        let mut off = s("a", "x", 2, PingStatus::Ok, Some(50.0));
        off.distributing = Some(false);
        let h = [s("a", "x", 1, PingStatus::Ok, Some(40.0)), off];
        let n = &summarise(&h)[0];
        assert_eq!((n.available, n.not_distributing, n.flaps), (1, 1, 1));
    }

    #[test]
    fn flaps_are_counted_per_vantage_point_in_time_order() {
        use PingStatus::*;
        // Given out of order; two sources interleaved must not count as flaps.
        let h = [
            s("a", "eu", 3, Ok, None),
            s("a", "us", 1, Dead, None),
            s("a", "eu", 1, Ok, None),
            s("a", "us", 2, Dead, None),
            s("a", "eu", 2, Dead, None),
        ];
        let n = &summarise(&h)[0];
        assert_eq!(n.flaps, 2);
        assert_eq!(n.sources, ["eu", "us"]);
        assert_eq!((n.first_ms, n.last_ms), (1, 3));
        assert_eq!(n.statuses[&Dead], 3);
    }

    #[test]
    fn ttfb_percentiles_use_nearest_rank_and_worst_node_comes_first() {
        let mut h: Vec<Sample> = (1..=10)
            .map(|i| s("good", "x", i, PingStatus::Ok, Some(i as f64 * 10.0)))
            .collect();
        h.push(s("bad", "x", 1, PingStatus::Dead, None));
        let all = summarise(&h);
        assert_eq!(all[0].operator, "bad");
        assert_eq!(all[0].ttfb_p50_ms, None);
        assert_eq!(all[1].ttfb_p50_ms, Some(50.0));
        assert_eq!(all[1].ttfb_p90_ms, Some(90.0));
        assert_eq!(all[1].availability, 1.0);
    }
}

mod report {
    use super::super::report::*;
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_markdown_flags_the_weak() {
        let s = Sample {
            operator: "0:0-3".into(),
            source: "eu,1".into(),
            time_ms: 5,
            status: PingStatus::Ok,
            distributing: Some(true),
            serves_bucket: Some(true),
            ttfb_ms: Some(12.5),
            endpoint: "https://a.example/x|y".into(),
            bucket: "0:0".into(),
        };
        let mut dead = s.clone();
        dead.operator = "1:0-4".into();
        dead.status = PingStatus::Dead;
        let nodes = summarise(&[s, dead]);
        let c = csv(&nodes);
        assert_eq!(c.lines().count(), 3);
        assert!(c.contains(",\"eu,1\"\n"), "{c}");
        assert!(c.contains("0:0-3,0:0,https://a.example/x|y,1,1,1,1,0,0,0,0,12.5,12.5,0,5,5,"));
        let scope = ReportScope {
            samples: 2,
            from: "a".into(),
            to: "b".into(),
            threshold: 0.99,
        };
        let m = markdown(&nodes, &scope);
        assert!(m.contains("| ⚠ | 1:0-4 |"), "{m}");
        assert!(m.contains("x%7Cy"));
        assert_eq!(flagged(&nodes, 0.99).len(), 1);
    }
}
