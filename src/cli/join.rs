//! `qingling join`: the raw spatial join, `site_fid,zone_fid` pairs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::progress::Progress;
use super::{ReadArgs, UsageError};
use crate::crs::{Crs, SiteCrs};
use crate::engine::{DEFAULT_TOLERANCE_M, IndexedZones, Predicate, join_index, sites_into};
use crate::model::{Fid, Layer, ProblemLevel};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PredicateArg {
    /// A site on a zone's boundary counts as inside.
    Intersects,
    /// Only the interior counts.
    Within,
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// Zone files or folders (fids run on across files in sorted path order).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    zones: Vec<PathBuf>,
    /// Site files or folders (fids run on across files in sorted path order).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    sites: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "intersects")]
    predicate: PredicateArg,
    /// The CRS the sites' coordinates are in: EPSG:n, gcj02 (Amap/Tencent) or bd09 (Baidu).
    #[arg(long, value_name = "SPEC")]
    sites_crs: Option<String>,
    /// The CRS of the zone files (EPSG:n), overriding .prj and detection.
    #[arg(long, value_name = "EPSG:n")]
    zones_crs: Option<String>,
    /// Boundary tolerance in metres: a site this close to an edge is on the boundary.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE_M, value_name = "METRES")]
    tolerance_m: f64,
    /// Write the pairs here (CSV) instead of stdout.
    #[arg(long, value_name = "PAIRS.csv")]
    out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: JoinArgs) -> anyhow::Result<()> {
    if let Some(out) = &args.out
        && let Some(problem) = crate::export::output_folder_problem(out)
    {
        return Err(UsageError(format!("--out {}: {problem}", out.display())).into());
    }
    let progress = Progress::new(args.quiet);
    let sites_crs = match &args.sites_crs {
        Some(s) => {
            Some(SiteCrs::parse(s).map_err(|e| UsageError(format!("--sites-crs {s}: {e}")))?)
        }
        None => None,
    };
    let zones_crs = match &args.zones_crs {
        Some(s) => Some(Crs::parse(s).map_err(|e| UsageError(format!("--zones-crs {s}: {e}")))?),
        None => None,
    };
    if !(args.tolerance_m >= 0.0 && args.tolerance_m.is_finite()) {
        return Err(
            UsageError("--tolerance-m must be a non-negative number of metres".into()).into(),
        );
    }
    let predicate = match args.predicate {
        PredicateArg::Intersects => Predicate::Intersects,
        PredicateArg::Within => Predicate::Within,
    };
    let mut zone_opts = args.read.options(zones_crs)?;
    zone_opts.geometry_only = true;
    let mut site_opts = args.read.options(None)?;
    site_opts.geometry_only = true;
    // A declared site CRS (EPSG) also overrides what the files say.
    if let Some(SiteCrs::Crs(c)) = &sites_crs {
        site_opts.crs = Some(c.clone());
    }

    progress.stage("reading zones and sites");
    let (zones, sites) = rayon::join(
        || super::read_layers(&args.zones, &zone_opts),
        || super::read_layers(&args.sites, &site_opts),
    );
    let zones = zones?;
    let sites = sites?;
    report_problems(&progress, &zones);
    report_problems(&progress, &sites);
    let zone_count: usize = zones.iter().map(|l| l.features.len()).sum();
    let site_count: usize = sites.iter().map(|l| l.features.len()).sum();
    progress.stage(format!(
        "read {zone_count} zones from {} file(s), {site_count} sites from {} file(s)",
        zones.len(),
        sites.len()
    ));

    let mut zone_offsets = Vec::with_capacity(zones.len());
    let mut offset: Fid = 0;
    for z in &zones {
        zone_offsets.push(offset);
        offset += z.features.len() as Fid;
    }
    let indexed: Vec<IndexedZones> = zones
        .into_iter()
        .map(|z| IndexedZones::build(z, args.tolerance_m))
        .collect::<Result<_, _>>()?;
    for z in &indexed {
        for s in z
            .index
            .skipped()
            .iter()
            .filter(|s| s.reason != "no geometry")
        {
            progress.warn(format!(
                "{}: zone record {} skipped: {}",
                z.name, s.fid, s.reason
            ));
        }
    }
    progress.stage(format!(
        "indexed {} zones ({} polygon parts)",
        indexed.iter().map(|z| z.index.len()).sum::<usize>(),
        indexed.iter().map(|z| z.index.part_count()).sum::<usize>()
    ));

    let mut pairs: Vec<(Fid, Fid)> = Vec::new();
    let mut site_offset: Fid = 0;
    for site_layer in &sites {
        for (z, zone_offset) in indexed.iter().zip(&zone_offsets) {
            let geoms = sites_into(site_layer, declared_offset(&sites_crs), &z.crs)?;
            let failed = (0..geoms.len())
                .filter(|&i| geoms.get(i).is_none() && site_layer.features[i].geometry.is_some())
                .count();
            if failed > 0 {
                progress.warn(format!(
                    "{}: {failed} sites could not be transformed into the CRS of {} and were left out",
                    site_layer.name, z.name
                ));
            }
            pairs.extend(
                join_index(&z.index, &geoms, predicate)
                    .into_iter()
                    .map(|(i, zf)| (site_offset + i as Fid, zone_offset + zf)),
            );
        }
        site_offset += site_layer.features.len() as Fid;
    }
    pairs.sort_unstable();
    pairs.dedup();
    progress.stage(format!("joined: {} pairs", pairs.len()));

    match &args.out {
        Some(path) => {
            crate::io::write_atomically(path, |w| write_pairs(w, &pairs))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write_pairs(&mut w, &pairs).context("writing to stdout")?;
            w.flush().context("writing to stdout")?;
        }
    }
    progress.stage("done");
    Ok(())
}

/// Only map-app offsets need the per-point correction in `sites_into`; an EPSG
/// declaration was already applied when reading.
fn declared_offset(s: &Option<SiteCrs>) -> Option<&SiteCrs> {
    match s {
        Some(SiteCrs::Crs(_)) | None => None,
        Some(other) => Some(other),
    }
}

fn write_pairs(w: &mut dyn Write, pairs: &[(Fid, Fid)]) -> std::io::Result<()> {
    w.write_all(b"site_fid,zone_fid\n")?;
    let mut buf = itoa::Buffer::new();
    for (s, z) in pairs {
        w.write_all(buf.format(*s).as_bytes())?;
        w.write_all(b",")?;
        w.write_all(buf.format(*z).as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

fn report_problems(progress: &Progress, layers: &[Layer]) {
    for l in layers {
        let errors = l
            .problems
            .iter()
            .filter(|p| p.level == ProblemLevel::Error)
            .count();
        if let Some(first) = l.problems.first() {
            progress.warn(format!(
                "{}: {} problem(s) ({errors} errors) while reading; first: {first}",
                l.source.display(),
                l.problems.len()
            ));
        }
    }
}
