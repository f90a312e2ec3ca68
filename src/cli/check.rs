//! `qingling check` and `qingling demo`: the rules over the layers, findings to a file
//! and (with `--project`) into the review ledger, keeping every earlier decision.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use clap::Args;
use rayon::prelude::*;

use super::progress::Progress;
use super::{ReadArgs, UsageError};
use crate::check::{CheckInput, CheckOutput, LayerImport, RoleLayer, run_check, run_check_blocks};
use crate::crs::SiteCrs;
use crate::engine::DEFAULT_TOLERANCE_M;
use crate::export::{CsvRowsWriter, ExportFormat, export_findings, finding_views_csv_rows};
use crate::model::{Finding, FindingView, Layer, ProblemLevel};
use crate::project::Project;
use crate::rules::{self, FieldMapping, LayerRole, RuleSet};

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// The review project (GeoPackage). Created if missing. The files given below
    /// become its layers of their roles (replacing what it held in those roles); its
    /// layers of the other roles take part as they are. Earlier review decisions are
    /// kept.
    #[arg(long, value_name = "P.gpkg")]
    project: Option<PathBuf>,
    /// Drinking-water source protection zones (files or folders).
    #[arg(long, num_args = 1.., value_name = "F")]
    water_zones: Vec<PathBuf>,
    /// Coal-ban zones (禁煤区 / 禁燃区).
    #[arg(long, num_args = 1.., value_name = "F")]
    coal_ban_zones: Vec<PathBuf>,
    /// Built-up areas (建成区).
    #[arg(long, num_args = 1.., value_name = "F")]
    built_up: Vec<PathBuf>,
    /// Boiler ledgers (锅炉台账).
    #[arg(long, num_args = 1.., value_name = "F")]
    boilers: Vec<PathBuf>,
    /// Enterprise lists (e.g. 散乱污企业).
    #[arg(long, num_args = 1.., value_name = "F")]
    enterprises: Vec<PathBuf>,
    /// Outfalls (入河排污口).
    #[arg(long, num_args = 1.., value_name = "F")]
    outfalls: Vec<PathBuf>,
    /// Other sites.
    #[arg(long, num_args = 1.., value_name = "F")]
    sites: Vec<PathBuf>,
    /// A rule file (TOML) replacing or extending the built-in rules.
    #[arg(long, value_name = "R.toml")]
    rules: Option<PathBuf>,
    /// The CRS of site coordinates: EPSG:n, gcj02 (Amap/Tencent) or bd09 (Baidu).
    #[arg(long, value_name = "SPEC")]
    sites_crs: Option<String>,
    /// Override a field mapping: canonical=column, e.g. `--map fuel=燃料种类` (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    maps: Vec<String>,
    /// Boundary tolerance in metres.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE_M, value_name = "METRES")]
    tolerance_m: f64,
    /// Findings file: .csv .xlsx .geojson .shp or .gpkg.
    #[arg(long, value_name = "FINDINGS")]
    out: PathBuf,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    read: ReadArgs,
}

/// A CSV ledger written as the findings were built: how many findings, in how
/// many blocks, and the file to finish.
type CsvRows = (usize, usize, CsvRowsWriter);

/// What one check run produced.
pub(crate) struct CheckRun {
    pub findings: Vec<Finding>,
    /// For a CSV ledger with no project, the file its rows were written to as the
    /// findings were built (`findings` is then empty; they were never all held at
    /// once), to be finished, and how many findings there are.
    pub csv_rows: Option<CsvRows>,
    /// The layers and rules checked, kept until the command ends: a province's
    /// layers are millions of records, and freeing them before the findings are
    /// written would only delay the writing.
    _input: CheckInput,
}

pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    if ExportFormat::from_path(&args.out).is_none() {
        return Err(UsageError(format!(
            "--out {}: name the findings file .csv, .xlsx, .geojson, .shp or .gpkg",
            args.out.display()
        ))
        .into());
    }
    if let Some(problem) = crate::export::output_folder_problem(&args.out) {
        return Err(UsageError(format!("--out {}: {problem}", args.out.display())).into());
    }
    let progress = Progress::new(args.quiet);
    let mut run = check(&args, &progress)?;
    let written = match run.csv_rows.take() {
        Some((count, blocks, writer)) => writer
            .finish(blocks)
            .with_context(|| format!("exporting {}", args.out.display()))
            .map(|()| progress.stage(format!("wrote {count} findings to {}", args.out.display()))),
        None => write_findings(&run.findings, &args.out, &progress),
    };
    // The command ends here: a province's findings are hundreds of thousands of
    // records of strings, and freeing them one by one only delays the exit.
    std::mem::forget(run);
    written
}

fn write_findings(findings: &[Finding], out: &Path, progress: &Progress) -> anyhow::Result<()> {
    export_findings(findings, out).with_context(|| format!("exporting {}", out.display()))?;
    progress.stage(format!(
        "wrote {} findings to {}",
        findings.len(),
        out.display()
    ));
    Ok(())
}

/// The role flags in order.
fn role_inputs(args: &CheckArgs) -> Vec<(LayerRole, &[PathBuf])> {
    vec![
        (LayerRole::WaterZone, args.water_zones.as_slice()),
        (LayerRole::CoalBanZone, args.coal_ban_zones.as_slice()),
        (LayerRole::BuiltUpArea, args.built_up.as_slice()),
        (LayerRole::Boiler, args.boilers.as_slice()),
        (LayerRole::Enterprise, args.enterprises.as_slice()),
        (LayerRole::Outfall, args.outfalls.as_slice()),
        (LayerRole::OtherSites, args.sites.as_slice()),
    ]
}

/// Runs the check from the arguments: reads (or loads from the project) the layers,
/// evaluates the rules, records the run in the project.
pub(crate) fn check(args: &CheckArgs, progress: &Progress) -> anyhow::Result<CheckRun> {
    let sites_crs = match &args.sites_crs {
        Some(s) => {
            Some(SiteCrs::parse(s).map_err(|e| UsageError(format!("--sites-crs {s}: {e}")))?)
        }
        None => None,
    };
    let overrides = parse_maps(&args.maps)?;
    let opts = args.read.options(None)?;
    let given: Vec<(LayerRole, &[PathBuf])> = role_inputs(args)
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if given.is_empty() && args.project.is_none() {
        return Err(UsageError(
            "give the layers (e.g. --water-zones F --boilers F) or a --project that holds them"
                .into(),
        )
        .into());
    }

    let mut project = match &args.project {
        Some(p) if p.exists() => Some(Project::open(p)?),
        Some(p) => Some(Project::create(p)?),
        None => None,
    };

    // Layers: read the given files; with a project, also those it holds in the
    // other roles.
    let mut layers: Vec<RoleLayer> = Vec::new();
    if !given.is_empty() {
        progress.stage("reading layers");
        // Zone and site files are read side by side (as `join` reads them); layers
        // keep the order of the role flags.
        let read: Vec<_> = given
            .par_iter()
            .map(|(role, paths)| {
                let mut site_opts = opts.clone();
                if let (false, Some(SiteCrs::Crs(c))) = (role.is_zone(), &sites_crs) {
                    site_opts.crs = Some(c.clone());
                }
                // A site ledger's values are decoded for the sites the check looks at;
                // a project stores every value, so it needs them all.
                site_opts.defer_attributes = !role.is_zone() && args.project.is_none();
                crate::io::read_paths(paths, &site_opts)
            })
            .collect();
        for ((role, _), read) in given.iter().zip(read) {
            for layer in read? {
                let mut mapping =
                    rules::guess_mapping_for_layer(*role, &layer.name, &field_names(&layer));
                apply_overrides(&mut mapping, &overrides, &layer);
                layers.push(RoleLayer {
                    layer,
                    role: *role,
                    mapping,
                });
            }
        }
    }
    if let Some(project) = project.as_mut() {
        // The files given become the project's layers of their roles; the project's
        // layers of the other roles take part as they are, so that a refreshed boiler
        // ledger is checked against the zones the project holds.
        let given_roles: Vec<LayerRole> = given.iter().map(|(role, _)| *role).collect();
        if !layers.is_empty() {
            progress.stage(format!(
                "importing the layers into {}",
                project.path().display()
            ));
        }
        for done in crate::check::import_role_layers(project, &layers, &given_roles)? {
            match done {
                LayerImport::Imported(_) => {}
                LayerImport::Kept(name) => progress.stage(format!(
                    "{name}: unchanged since its import into the project; kept"
                )),
                LayerImport::Replaced(name) => progress.stage(format!(
                    "{name}: replaced in the project by the files given"
                )),
            }
        }
        let (found, skipped) = crate::check::project_layers_except(project, &given_roles)?;
        for name in skipped {
            progress.warn(format!(
                "{name}: the project gives it no known role; skipped (set its role in the app)"
            ));
        }
        for mut rl in found {
            if !given.is_empty() {
                progress.stage(format!(
                    "{}: from the project ({})",
                    rl.layer.name,
                    rl.role.label_en()
                ));
            }
            apply_overrides(&mut rl.mapping, &overrides, &rl.layer);
            layers.push(rl);
        }
        if layers.is_empty() {
            bail!(
                "{}: the project holds no layers; add them with --water-zones, --boilers, …",
                project.path().display()
            );
        }
    }
    for rl in &layers {
        report_layer(progress, rl);
    }

    let rules = load_rules(args.rules.as_deref(), project.as_ref())?;
    if let (Some(project), Some(path)) = (project.as_ref(), &args.rules) {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        project.set_setting("rules_toml", &serde_json::to_string(&text)?)?;
    }

    progress.stage("checking");
    let input = CheckInput {
        layers,
        rules,
        sites_crs,
        tolerance_m: args.tolerance_m,
    };
    let report = |label: &str, _f: f32| progress.stage(label);
    let cancel = AtomicBool::new(false);
    // A CSV ledger with no project to record the run in: rows made as the findings
    // are built.
    let stream = project.is_none() && ExportFormat::from_path(&args.out) == Some(ExportFormat::Csv);
    let (output, csv_rows): (CheckOutput, Option<CsvRows>) = if stream {
        // Each block of rows goes to the file as soon as the blocks before it have.
        let writer = CsvRowsWriter::create(&args.out)
            .with_context(|| format!("exporting {}", args.out.display()))?;
        let rows = |k: usize, block: &[FindingView]| {
            writer.put(k, finding_views_csv_rows(block));
            block.len()
        };
        let (output, blocks) = run_check_blocks(&input, &report, &cancel, 4096, &rows)?;
        let count = blocks.iter().sum();
        (output, Some((count, blocks.len(), writer)))
    } else {
        (run_check(&input, &report, &cancel)?, None)
    };
    let found = csv_rows
        .as_ref()
        .map_or(output.findings.len(), |(count, _, _)| *count);
    let errors = output
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .count();
    if !output.problems.is_empty() {
        progress.warn(format!(
            "{} problem(s) ({errors} errors) reading values; first: {}",
            output.problems.len(),
            output.problems[0]
        ));
    }
    progress.stage(format!(
        "{} sites against {} zones: {} findings",
        output.sites_checked, output.zones_indexed, found
    ));

    let findings = match project.as_mut() {
        Some(project) => {
            let summary = project.apply_check_run(&output.findings)?;
            progress.stage(format!(
                "project {}: {} new, {} existing (decisions kept), {} no longer found (marked resolved by data)",
                project.path().display(),
                summary.new,
                summary.existing,
                summary.resolved_by_data
            ));
            // The export carries the reviewers' status and notes.
            let decisions = project.decisions()?;
            let mut findings = output.findings;
            for f in &mut findings {
                if let Some((status, note)) = decisions.get(f.finding_id.as_str()) {
                    f.status = *status;
                    f.note.clone_from(note);
                }
            }
            findings
        }
        None => output.findings,
    };
    Ok(CheckRun {
        findings,
        csv_rows,
        _input: input,
    })
}

fn field_names(layer: &Layer) -> Vec<String> {
    layer.fields.iter().map(|f| f.name.clone()).collect()
}

fn load_rules(path: Option<&Path>, project: Option<&Project>) -> anyhow::Result<RuleSet> {
    if let Some(path) = path {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(rules::builtin_with_user(
            &text,
            &path.display().to_string(),
        )?);
    }
    match project {
        Some(project) => Ok(crate::check::project_rules(project)?),
        None => Ok(rules::builtin()),
    }
}

/// `FIELD=COLUMN` pairs.
fn parse_maps(maps: &[String]) -> Result<Vec<(rules::CanonicalField, String)>, UsageError> {
    maps.iter()
        .map(|m| {
            let (field, column) = m
                .split_once('=')
                .ok_or_else(|| UsageError(format!("--map {m}: write FIELD=COLUMN, e.g. fuel=燃料种类")))?;
            let field = rules::CanonicalField::from_code(field.trim()).ok_or_else(|| {
                UsageError(format!("--map {m}: unknown field \"{field}\" (e.g. fuel, capacity_tph, status, zone_level, name, county)"))
            })?;
            Ok((field, column.trim().to_string()))
        })
        .collect()
}

fn apply_overrides(
    mapping: &mut FieldMapping,
    overrides: &[(rules::CanonicalField, String)],
    layer: &Layer,
) {
    for (field, column) in overrides {
        if layer.field_index(column).is_some() {
            mapping.set_user(*field, column, None);
        }
    }
}

fn report_layer(progress: &Progress, rl: &RoleLayer) {
    let l = &rl.layer;
    let crs = match &l.crs.crs {
        Some(c) => format!("{c} ({})", l.crs.source.describe()),
        None => format!("CRS unknown ({})", l.crs.source.describe()),
    };
    let enc = l
        .encoding
        .as_ref()
        .map(|e| format!(", {} ({})", e.name(), e.source.describe()))
        .unwrap_or_default();
    let mapped: Vec<String> = rl
        .mapping
        .entries
        .iter()
        .map(|(f, m)| format!("{}←{}", f.code(), m.source_field))
        .collect();
    progress.stage(format!(
        "{} [{}]: {} features, {crs}{enc}; fields: {}",
        l.name,
        rl.role.code(),
        l.features.len(),
        if mapped.is_empty() {
            "none mapped".into()
        } else {
            mapped.join(", ")
        }
    ));
    for p in l.problems.iter().take(5) {
        progress.warn(p);
    }
    if l.problems.len() > 5 {
        progress.warn(format!(
            "{}: … {} more problems (see `qingling inspect`)",
            l.name,
            l.problems.len() - 5
        ));
    }
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the project and every export format.
    #[arg(long, value_name = "DIR", default_value = "qingling-demo")]
    out: PathBuf,
    /// The sample data folder (default: the bundled sample-data/).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Open the desktop app on the demo project afterwards.
    #[arg(long)]
    open: bool,
    #[arg(long, short)]
    quiet: bool,
}

/// The sample data folder next to the executable or its project, or in the current
/// folder; `None` means `demo` uses the copy built into the binary. (The source tree's
/// path at build time is not tried: on a user's machine it means nothing.)
pub(crate) fn sample_data_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("sample-data"));
        for up in dir.ancestors().take(4) {
            candidates.push(up.join("sample-data"));
        }
    }
    candidates.push(PathBuf::from("sample-data"));
    candidates
        .into_iter()
        .find(|c| c.join("README.md").is_file())
}

pub fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let data = match args.data.clone().or_else(sample_data_dir) {
        Some(d) => d,
        // A lone binary (e.g. qingling.exe copied to a Windows desktop): use the
        // copy built into it.
        None => {
            let d = args.out.join("样例数据");
            super::sample_data::write_to(&d)
                .with_context(|| format!("writing the sample data to {}", d.display()))?;
            d
        }
    };
    let progress = Progress::new(args.quiet);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let project = args.out.join("清零示例项目.gpkg");
    let p = |name: &str| vec![data.join(name)];
    let check_args = CheckArgs {
        project: Some(project.clone()),
        water_zones: p("水源保护区.shp"),
        coal_ban_zones: p("禁煤区.geojson"),
        built_up: p("建成区.geojson"),
        boilers: p("锅炉台账.xlsx"),
        enterprises: p("散乱污企业.shp"),
        outfalls: p("入河排污口.csv"),
        tolerance_m: DEFAULT_TOLERANCE_M,
        out: args.out.join("问题台账.csv"),
        quiet: args.quiet,
        ..CheckArgs::default()
    };
    let run = check(&check_args, &progress)?;
    for ext in ["csv", "xlsx", "geojson", "shp", "gpkg"] {
        write_findings(
            &run.findings,
            &args.out.join(format!("问题台账.{ext}")),
            &progress,
        )?;
    }
    progress.stage(format!("demo project: {}", project.display()));
    if args.open {
        return super::open_app(Some(project));
    }
    Ok(())
}
