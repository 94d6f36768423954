//! The Elasticsearch / OpenSearch source of `cdnplan demand` and `cdnplan snapshot`.

use anyhow::{Context as _, Result, bail};
use cdnplan_io::data;
use cdnplan_io::es::{self, EsAuth, EsClient, EsConnection, EsIngested, EsQuery, Secret};
use cdnplan_io::geoip::GeoIp;
use cdnplan_io::logs::IngestOptions;
use cdnplan_io::scenario::{DemandInput, ingest_options};

use crate::args::{EsArgs, LogArgs, SnapshotArgs};
use crate::inputs::Context;
use crate::messages::info;
use crate::progress::Bars;

/// True when the arguments name a cluster (or an index to read from the env's cluster).
pub fn wanted(a: &EsArgs) -> bool {
    a.es.is_some() || a.es_cloud_id.is_some() || a.index.is_some()
}

/// `30d`, `12h`, `90m`, `2w` → that long before now, as RFC 3339; anything else unchanged.
pub fn relative_time(t: &str) -> String {
    let t = t.trim();
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return t.to_string(),
    };
    let Ok(n) = num.parse::<i64>() else {
        return t.to_string();
    };
    let now = chrono::Utc::now().timestamp_millis();
    cdnplan_io::logs::format_ms(now - n * secs * 1000)
}

/// The connection from flags, then the environment.
pub fn connection(a: &EsArgs) -> Result<EsConnection> {
    let mut c = match (&a.es, &a.es_cloud_id) {
        (Some(u), _) => EsConnection::url(u)?,
        (None, Some(id)) => EsConnection::cloud(id),
        (None, None) => EsConnection::default(),
    };
    if let Some(k) = &a.es_api_key {
        c = c.auth(EsAuth::ApiKey(Secret::new(k.clone())));
    } else if let Some(t) = &a.es_bearer {
        c = c.auth(EsAuth::Bearer(Secret::new(t.clone())));
    } else if let Some(u) = &a.es_user {
        let password = a
            .es_password
            .clone()
            .or_else(|| std::env::var("ELASTICSEARCH_PASSWORD").ok())
            .unwrap_or_default();
        c = c.auth(EsAuth::Basic {
            username: u.clone(),
            password: Secret::new(password),
        });
    }
    if let Some(ca) = &a.es_ca {
        c = c.ca_cert(ca.clone());
    }
    c = c.insecure(a.insecure);
    if let Some(t) = a.timeout {
        c = c.timeout_secs(t);
    }
    if let Some(r) = a.retries {
        c = c.retries(r);
    }
    let c = c.with_env()?;
    if c.urls.is_empty() && c.cloud_id.is_none() {
        bail!("no cluster given: pass --es URL or --es-cloud-id, or set ELASTICSEARCH_URL");
    }
    Ok(c)
}

/// The query from flags.
pub fn query(a: &EsArgs) -> Result<EsQuery> {
    let Some(index) = &a.index else {
        bail!(
            "--index is needed with --es (an index, data stream or pattern such as logs-argus-*)"
        );
    };
    let mut q = EsQuery::new(index.clone()).scroll(a.scroll);
    if let Some(s) = &a.query {
        q = q.query_string(s.clone());
    }
    if let Some(m) = &a.es_mode {
        q = q.mode(m.parse()?);
    }
    if let Some(n) = a.page_size {
        q = q.page_size(n);
    }
    if let Some(n) = a.slices {
        q = q.slices(n);
    }
    Ok(q)
}

/// Ingest options from the log flags, with relative times resolved; `preset` defaults to
/// `default_preset`.
pub fn options(l: &LogArgs, default_preset: &str) -> Result<(IngestOptions, DemandInput)> {
    let input = DemandInput {
        logs: Vec::new(),
        demand_csv: None,
        preset: l.preset.clone().unwrap_or_else(|| default_preset.into()),
        geoip: l.geoip.clone(),
        cells: l.cells.clone().unwrap_or_else(|| "country".into()),
        since: l.since.as_deref().map(relative_time),
        until: l.until.as_deref().map(relative_time),
        status: l.status.clone(),
        all_paths: l.all_paths,
        lenient: l.lenient,
        threads: l.threads,
        growth: Default::default(),
    };
    Ok((
        ingest_options(&input).context("invalid log options")?,
        input,
    ))
}

/// Reads demand from the cluster the flags name.
pub fn demand(
    ctx: &Context,
    a: &EsArgs,
    l: &LogArgs,
    countries: &cdnplan_core::Countries,
    bars: &Bars,
) -> Result<EsIngested> {
    let (options, input) = options(l, "argus")?;
    let conn = connection(a)?;
    let q = query(a)?;
    // A database the user names must open (before the cluster is asked anything); the
    // bundled one is only needed for documents read raw, and its absence is reported then.
    let geoip = match &input.geoip {
        Some(db) => Some(GeoIp::open(db)?),
        None => GeoIp::open(ctx.data_file(data::bundled::GEOIP_COUNTRY)).ok(),
    };
    let client = EsClient::connect(&conn)
        .with_context(|| format!("cannot connect to {}", conn.display()))?;
    info!("{} at {}", client.cluster(), client.display());
    let got = es::demand(&client, &q, &options, geoip.as_ref(), countries, bars)
        .with_context(|| format!("cannot read demand from {:?}", q.index))?;
    for line in got.es.to_string().lines() {
        info!("{line}");
    }
    Ok(got)
}

/// `cdnplan snapshot`.
pub fn snapshot(_ctx: &Context, a: SnapshotArgs, bars: &Bars) -> Result<()> {
    let (options, _) = options(&a.log, "argus")?;
    let conn = connection(&a.es)?;
    let q = query(&a.es)?;
    let client = EsClient::connect(&conn)
        .with_context(|| format!("cannot connect to {}", conn.display()))?;
    info!("{} at {}", client.cluster(), client.display());
    let rep = es::snapshot(&client, &q, &options, &a.output, a.all_fields, bars)
        .with_context(|| format!("cannot export {:?}", q.index))?;
    for line in rep.to_string().lines() {
        info!("{line}");
    }
    info!(
        "wrote {} documents to {}",
        rep.documents,
        a.output.display()
    );
    Ok(())
}
