//! The check: every site layer against every zone layer through the engine, the rules
//! evaluated on canonical values, findings with stable ids. The CLI (`check`, `demo`)
//! and the desktop app call [`run_check`].

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use geo_types::{Coord, Geometry};
use rayon::prelude::*;

use crate::crs::{Crs, SiteCrs, Transform};
use crate::engine::{
    JoinError, Location, NOT_A_POINT, Z_RUN, ZoneIndex, run_candidates, sites_into,
    z_order_with_points,
};
use crate::model::{Finding, FindingView, Layer, Problem, ReviewStatus, Severity};
use crate::rules::{
    CanonicalValues, FieldMapping, FieldsEvaluated, FindingIdStart, LayerKeys, LayerRole,
    LayerValues, ReadMemo, RecordKey, RuleSet, SiteRecord, ZoneHit, ZoneRelation,
    canonical_values_all, check_mapping, evaluate_site, layer_keys, rules_needing_distance,
};

/// One input layer with its role and field mapping.
#[derive(Clone, Debug)]
pub struct RoleLayer {
    pub layer: Layer,
    pub role: LayerRole,
    pub mapping: FieldMapping,
}

/// What a check needs.
#[derive(Clone, Debug)]
pub struct CheckInput {
    pub layers: Vec<RoleLayer>,
    pub rules: RuleSet,
    /// Declared CRS of site coordinates (`--sites-crs`), overriding the layers' own.
    pub sites_crs: Option<SiteCrs>,
    /// Boundary tolerance in metres.
    pub tolerance_m: f64,
}

/// What a check found.
#[derive(Clone, Debug, Default)]
pub struct CheckOutput {
    /// Sorted by rule, site layer, site fid, zone layer, zone fid.
    pub findings: Vec<Finding>,
    /// Problems met reading canonical values and mapping fields.
    pub problems: Vec<Problem>,
    pub sites_checked: usize,
    pub zones_indexed: usize,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Join(#[from] JoinError),
    #[error("cancelled")]
    Cancelled,
}

impl CheckError {
    /// The error in Chinese, for the app (the English text is the `Display`).
    pub fn zh(&self) -> String {
        match self {
            CheckError::Join(e) => e.zh(),
            CheckError::Cancelled => "已取消".to_owned(),
        }
    }
}

impl ProjectInputError {
    /// The error in Chinese, for the app (the English text is the `Display`).
    pub fn zh(&self) -> String {
        match self {
            ProjectInputError::Project(e) => e.zh(),
            ProjectInputError::Rules(e) => e.zh(),
            ProjectInputError::RulesSetting { path, message } => format!(
                "{path}：项目中的规则设置不是 JSON 字符串（{message}）；请把规则文件重新保存到项目中"
            ),
        }
    }
}

/// Why a project's layers or rules could not be made into a [`CheckInput`].
#[derive(Debug, thiserror::Error)]
pub enum ProjectInputError {
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    #[error(
        "{path}: the project's rules setting is not a JSON string ({message}); save the rule file into the project again"
    )]
    RulesSetting { path: String, message: String },
}

/// The layers a project holds, each with its role and field mapping, in import
/// order. A layer whose role is unknown (not set in the app) is left out and its
/// name returned in the second list; a mapping that cannot be read is guessed again.
pub fn project_layers(
    project: &crate::project::Project,
) -> Result<(Vec<RoleLayer>, Vec<String>), crate::project::ProjectError> {
    project_layers_except(project, &[])
}

/// [`project_layers`] but for those in one of the roles `except`.
pub fn project_layers_except(
    project: &crate::project::Project,
    except: &[LayerRole],
) -> Result<(Vec<RoleLayer>, Vec<String>), crate::project::ProjectError> {
    let mut layers = Vec::new();
    let mut skipped = Vec::new();
    for entry in project.layers()? {
        let Some(role) = LayerRole::from_code(&entry.role) else {
            skipped.push(entry.name.clone());
            continue;
        };
        if except.contains(&role) {
            continue;
        }
        let layer = project.load_layer(&entry.table_name)?;
        let mapping: FieldMapping = serde_json::from_str(&entry.field_mapping_json)
            .unwrap_or_else(|_| mapping_for(role, &layer));
        layers.push(RoleLayer {
            layer,
            role,
            mapping,
        });
    }
    Ok((layers, skipped))
}

/// What [`import_role_layers`] did with a layer, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerImport {
    /// A layer given, written into the project.
    Imported(String),
    /// A layer given whose content the project already held: its table is kept.
    Kept(String),
    /// A layer the project held in one of the roles given, removed.
    Replaced(String),
}

/// Makes `layers` the project's layers of the roles `roles` (those the layers were
/// given for): every other layer the project holds in one of them goes. A layer
/// whose content is what the project already holds (same name, role and
/// [fingerprint](crate::project::layer_fingerprint): the file has not changed since
/// its import) keeps its table, with the mapping given now; writing a province's
/// layer again would take seconds. New tables are written before old ones go, so a
/// crash leaves both rather than neither (the next import removes the old).
pub fn import_role_layers(
    project: &mut crate::project::Project,
    layers: &[RoleLayer],
    roles: &[LayerRole],
) -> Result<Vec<LayerImport>, crate::project::ProjectError> {
    let existing = project.layers()?;
    let mut current: Vec<String> = Vec::new();
    let mut done = Vec::new();
    for rl in layers {
        let (name, role) = (&rl.layer.name, rl.role.code());
        let mapping = serde_json::to_string(&rl.mapping).map_err(|e| {
            crate::project::ProjectError::Invalid {
                path: project.path().to_path_buf(),
                message: format!("layer {name}: cannot store its field mapping: {e}"),
            }
        })?;
        let fingerprint = crate::project::layer_fingerprint(&rl.layer);
        let unchanged = match &fingerprint {
            Some(f) => project.layers_with_content(name, role, f)?,
            None => Vec::new(),
        };
        match unchanged.into_iter().find(|t| !current.contains(t)) {
            Some(table) => {
                project.set_layer_role(&table, role, &mapping)?;
                current.push(table);
                done.push(LayerImport::Kept(name.clone()));
            }
            None => {
                let table =
                    project.save_layer_with_fingerprint(&rl.layer, role, &mapping, fingerprint)?;
                current.push(table);
                done.push(LayerImport::Imported(name.clone()));
            }
        }
    }
    for old in existing
        .iter()
        .filter(|e| !current.contains(&e.table_name) && roles.iter().any(|r| e.role == r.code()))
    {
        project.remove_layer(&old.table_name)?;
        done.push(LayerImport::Replaced(old.name.clone()));
    }
    Ok(done)
}

/// The guessed field mapping of `layer` in `role`.
pub fn mapping_for(role: LayerRole, layer: &Layer) -> FieldMapping {
    let names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
    crate::rules::guess_mapping_for_layer(role, &layer.name, &names)
}

/// The rules a project checks with: the built-in rules, with the rule file saved in
/// the project's `rules_toml` setting (a JSON string) merged on top.
pub fn project_rules(project: &crate::project::Project) -> Result<RuleSet, ProjectInputError> {
    let Some(json) = project.setting("rules_toml")? else {
        return Ok(crate::rules::builtin());
    };
    let path = project.path().display().to_string();
    let text: String =
        serde_json::from_str(&json).map_err(|e| ProjectInputError::RulesSetting {
            path: path.clone(),
            message: e.to_string(),
        })?;
    Ok(crate::rules::builtin_with_user(
        &text,
        &format!("{path} (rules)"),
    )?)
}

/// Reports progress: a stage label and a fraction done (0..=1).
pub trait CheckProgress: Sync {
    fn stage(&self, label: &str, fraction: f32);
}

impl<F: Fn(&str, f32) + Sync> CheckProgress for F {
    fn stage(&self, label: &str, fraction: f32) {
        self(label, fraction)
    }
}

/// A zone layer ready for the rules: index plus per-zone canonical values and keys.
struct ZoneLayer<'a> {
    source: &'a RoleLayer,
    /// The layer's CRS (the engine refuses zones without one).
    crs: Crs,
    /// The zones indexed with the boundary tolerance; in a projected CRS when a rule
    /// measures distances, with the `within_distance` reach too
    /// ([`ZoneIndex::build_reaching`]): a point it locates comes with the zones it is
    /// near, so exact distances are computed for the few zones a site is near, not
    /// for every zone whose bounding box it falls in.
    index: ZoneIndex,
    /// Whether `index` measures near distances (see above).
    reaching: bool,
    values: Vec<CanonicalValues>,
    keys: Vec<RecordKey>,
}

/// Runs the check. `cancel` is polled between stages and layers.
pub fn run_check(
    input: &CheckInput,
    progress: &dyn CheckProgress,
    cancel: &AtomicBool,
) -> Result<CheckOutput, CheckError> {
    check_and_build::<()>(input, progress, cancel, None).map(|(out, _)| out)
}

/// What a caller of [`run_check_blocks`] makes of one block of findings, given
/// the block's number (from 0) and its findings.
pub type FindingsBlock<'e, T> = &'e (dyn Fn(usize, &[FindingView]) -> T + Sync);

/// [`run_check`] for a caller that needs the findings only once, in order, as what
/// it makes of each block of `block_len` of them (e.g. their rows of a CSV file):
/// each block is built, handed to `each` on a worker thread and dropped, so a
/// province's findings are never all held at once. The blocks are taken up in
/// order, so they are handed over nearly in order (a caller writing them out in
/// order keeps few waiting). Returns the output with no findings in it, and what
/// `each` made of every block, in order. Where two site layers share a role (a
/// site may be found twice and must be reported once, see [`run_check`]) the
/// findings are built whole first, then handed over in blocks.
pub fn run_check_blocks<T: Send>(
    input: &CheckInput,
    progress: &dyn CheckProgress,
    cancel: &AtomicBool,
    block_len: usize,
    each: FindingsBlock<'_, T>,
) -> Result<(CheckOutput, Vec<T>), CheckError> {
    check_and_build(input, progress, cancel, Some((block_len.max(1), each)))
}

/// The check, its findings built whole into the output, or block by block for
/// `blocks` (see [`run_check_blocks`]).
fn check_and_build<T: Send>(
    input: &CheckInput,
    progress: &dyn CheckProgress,
    cancel: &AtomicBool,
    blocks: Option<(usize, FindingsBlock<'_, T>)>,
) -> Result<(CheckOutput, Vec<T>), CheckError> {
    let mut out = CheckOutput::default();
    let near_m = rules_needing_distance(&input.rules);
    let check_cancel = || {
        if cancel.load(Ordering::Relaxed) {
            Err(CheckError::Cancelled)
        } else {
            Ok(())
        }
    };

    progress.stage("indexing zones", 0.0);
    let mut zones: Vec<ZoneLayer> = Vec::new();
    for rl in input.layers.iter().filter(|l| l.role.is_zone()) {
        check_cancel()?;
        out.problems.extend(check_mapping(&rl.layer, &rl.mapping));
        let values = canonical_values_all(&rl.layer, &rl.mapping);
        for v in &values {
            out.problems.extend(v.problems.iter().cloned());
        }
        let keys = layer_keys(rl.layer.features.iter().map(|f| f.fid).zip(values.iter()));
        let crs = rl
            .layer
            .crs
            .crs
            .clone()
            .ok_or_else(|| JoinError::UnknownZoneCrs {
                layer: rl.layer.source.display().to_string(),
            })?;
        let tolerance = input.tolerance_m / crs.metres_per_unit();
        // A little wider than the reach, so that rounding never drops a zone the
        // exact distance would keep; the exact test follows.
        let reach = near_m.filter(|_| !crs.is_geographic()).map(|near| {
            (near.max(input.tolerance_m) * (1.0 + 1e-6) + 1e-6) / crs.metres_per_unit()
        });
        let geoms: Vec<_> = rl
            .layer
            .features
            .iter()
            .map(|f| (f.fid, f.geometry.as_ref()))
            .collect();
        let zone_layer = ZoneLayer {
            source: rl,
            crs,
            index: ZoneIndex::build_reaching_copies(&geoms, tolerance, reach.unwrap_or(tolerance)),
            reaching: reach.is_some(),
            values,
            keys,
        };
        out.zones_indexed += zone_layer.index.len();
        zones.push(zone_layer);
    }

    let site_layers: Vec<&RoleLayer> = input.layers.iter().filter(|l| !l.role.is_zone()).collect();
    let order = FindingOrder::new(&input.rules, &input.layers);
    check_cancel()?;
    let names: Vec<&str> = site_layers.iter().map(|l| l.layer.name.as_str()).collect();
    progress.stage(&format!("checking {}", names.join(", ")), 0.0);
    // The site layers side by side, so that the end of one (its last runs, its sites
    // near no zone) overlaps the others. Within a layer, the value problems and
    // record keys of every record are not needed until findings are built: found
    // side by side with the findings.
    let checked: Vec<Result<_, CheckError>> = site_layers
        .par_iter()
        .enumerate()
        .map(|(pos, &rl)| {
            let mapping_problems = check_mapping(&rl.layer, &rl.mapping);
            let reader = LayerValues::new(&rl.layer, &rl.mapping);
            let lonlat = LonLat::new(&rl.layer, input.sites_crs.as_ref())?;
            let ((layer_problems, keys), found) = rayon::join(
                || (reader.problems(), LayerKeys::new(&reader)),
                || check_site_layer((pos, rl, &reader), &zones, input, near_m, &order),
            );
            let id_starts = (order.rules.iter())
                .map(|(rule, _)| FindingIdStart::new(rule, &rl.layer.name, rl.role))
                .collect();
            let site_layer = SiteLayer {
                source: rl,
                reader,
                keys,
                lonlat,
                id_starts,
            };
            Ok((site_layer, [mapping_problems, layer_problems], found?))
        })
        .collect();
    let mut sites: Vec<SiteLayer> = Vec::with_capacity(site_layers.len());
    let mut parts: Vec<Vec<Pending>> = Vec::new();
    for layer in checked {
        let (site_layer, problems, found) = layer?;
        out.problems.extend(problems.into_iter().flatten());
        parts.extend(found);
        out.sites_checked += site_layer.source.layer.features.len();
        sites.push(site_layer);
    }
    let mut pending = numbered_in_order(&parts);
    drop(parts);
    check_cancel()?;
    progress.stage("sorting findings", 1.0);
    // Sorted as compact records, then built in their final order: a province can
    // have hundreds of thousands of findings of a few hundred bytes each.
    pending.par_sort_unstable_by_key(|p| (p.key, p.seq));
    let build = |p: &Pending| build_finding(p, &sites, &zones, &order);
    let repeats = !layers_sharing_a_role(&input.layers).is_empty();
    if let (Some((block_len, each)), false) = (blocks, repeats) {
        let made = blocks_in_order(&pending, block_len, |k, block| {
            let mut views = Vec::with_capacity(block.len());
            for batch in block.chunks(TOUCHED_TOGETHER) {
                touch_sites(batch, &sites);
                views.extend(batch.iter().map(build));
            }
            each(k, &views)
        });
        return Ok((out, made));
    }
    let mut findings = Vec::new();
    pending
        .par_iter()
        .map(|p| build(p).into_finding())
        .collect_into_vec(&mut findings);
    let seqs: Vec<u32> = pending.iter().map(|p| p.seq).collect();
    drop(pending);
    drop_repeated_sites(&input.layers, &mut findings, &seqs, &mut out.problems);
    match blocks {
        Some((block_len, each)) => {
            let made = blocks_in_order(&findings, block_len, |k, block| {
                each(k, &block.iter().map(Finding::view).collect::<Vec<_>>())
            });
            Ok((out, made))
        }
        None => {
            out.findings = findings;
            Ok((out, Vec::new()))
        }
    }
}

/// Findings whose site records are read into the cache side by side before they
/// are built ([`touch_sites`]).
const TOUCHED_TOGETHER: usize = 16;

/// Reads a little of the site record of each of `batch` in one quick pass. The
/// findings are in rule order, so their sites are scattered over the layer: read
/// one after another as each finding is built, each record would wait on memory
/// in turn; read here, the waits overlap.
fn touch_sites(batch: &[Pending], sites: &[SiteLayer]) {
    let read = batch.iter().fold(0, |read, p| {
        read ^ sites[p.site_layer as usize].reader.touch(p.site as usize)
    });
    std::hint::black_box(read);
}

/// The records of `parts` one after another, each numbered (`seq`) with its place:
/// copied on all cores into a vector of the right size (a province's findings are
/// hundreds of thousands of records in thousands of parts; copied on one thread,
/// the other waits).
fn numbered_in_order(parts: &[Vec<Pending>]) -> Vec<Pending> {
    // Where each part starts.
    let starts: Vec<usize> = parts
        .iter()
        .scan(0, |at, p| {
            let start = *at;
            *at += p.len();
            Some(start)
        })
        .collect();
    let total = parts.iter().map(Vec::len).sum::<usize>();
    let part_of = |g: usize| starts.partition_point(|&s| s <= g) - 1;
    let mut all = Vec::new();
    (0..total)
        .into_par_iter()
        .map_init(
            || usize::MAX,
            |k, g| {
                // The part of the record before is usually this one's too, or the next.
                let within = |k: usize| {
                    k < parts.len() && (starts[k]..starts[k] + parts[k].len()).contains(&g)
                };
                if !within(*k) {
                    let next = k.wrapping_add(1);
                    *k = if within(next) { next } else { part_of(g) };
                }
                let mut p = parts[*k][g - starts[*k]];
                p.seq = g as u32;
                p
            },
        )
        .collect_into_vec(&mut all);
    all
}

/// What `each` makes of every block of `block_len` of `items` (the last may be
/// shorter), in order. The worker threads take up the blocks one after another, so
/// the blocks are also finished nearly in order.
fn blocks_in_order<I: Sync, T: Send>(
    items: &[I],
    block_len: usize,
    each: impl Fn(usize, &[I]) -> T + Sync,
) -> Vec<T> {
    let count = items.len().div_ceil(block_len);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut made: Vec<(usize, T)> = (0..rayon::current_num_threads())
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut mine = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break mine;
                }
                let end = ((k + 1) * block_len).min(items.len());
                mine.push((k, each(k, &items[k * block_len..end])));
            }
        })
        .collect();
    made.sort_unstable_by_key(|(k, _)| *k);
    made.into_iter().map(|(_, t)| t).collect()
}

/// The site layers that share their role (or name) with another site layer: only
/// their findings can repeat a site (finding ids are unique within a layer and
/// scoped by role, or for record numbers by layer).
fn layers_sharing_a_role(layers: &[RoleLayer]) -> Vec<&str> {
    let sites = || layers.iter().filter(|l| !l.role.is_zone());
    sites()
        .filter(|l| {
            sites()
                .filter(|o| o.role == l.role || o.layer.name == l.layer.name)
                .count()
                > 1
        })
        .map(|l| l.layer.name.as_str())
        .collect()
}

/// Where findings go in the ledger: rules and layers ranked by name, so findings
/// sort by rule, site layer, site fid, zone layer, zone fid as integers.
struct FindingOrder<'r> {
    /// The enabled rules with the rank of their id.
    rules: Vec<(&'r str, u32)>,
    /// Every layer name with its rank.
    layers: std::collections::HashMap<&'r str, u32>,
}

impl<'r> FindingOrder<'r> {
    fn new(rules: &'r RuleSet, layers: &'r [RoleLayer]) -> FindingOrder<'r> {
        FindingOrder {
            rules: name_ranks(rules.enabled().map(|r| r.id.as_str())),
            layers: name_ranks(layers.iter().map(|l| l.layer.name.as_str()))
                .into_iter()
                .collect(),
        }
    }

    fn rule(&self, id: &str) -> u32 {
        // A rule hit's id is the rule's own text: found by address, else by text.
        self.rules
            .iter()
            .find(|(r, _)| std::ptr::eq(*r, id))
            .or_else(|| self.rules.iter().find(|(r, _)| *r == id))
            .map_or(u32::MAX, |(_, rank)| *rank)
    }

    fn layer(&self, name: &str) -> u32 {
        self.layers.get(name).copied().unwrap_or(u32::MAX)
    }
}

/// The distinct names, in text order, each with its rank.
fn name_ranks<'n>(names: impl Iterator<Item = &'n str>) -> Vec<(&'n str, u32)> {
    let mut sorted: Vec<&str> = names.collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.into_iter().zip(0u32..).collect()
}

/// A finding as the site loop records it; built into a [`Finding`] once all are
/// found and sorted.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// Rule rank, site layer rank, site fid, zone layer rank + 1 (0: none), zone
    /// fid + 1 (0: none).
    key: (u32, u32, u64, u32, u64),
    /// Position in the order found (site layers in input order, sites in Z-order,
    /// rules in rule order): equal keys keep it, and of repeated sites the first
    /// found is kept.
    seq: u32,
    /// Position of the site layer among the check's site layers.
    site_layer: u32,
    /// Position of the site in its layer.
    site: u32,
    /// The rule's rank ([`FindingOrder::rules`]).
    rule: u32,
    severity: Severity,
    /// The zone (zone layer position, feature position), if the rule has a zone.
    zone: Option<(u32, u32)>,
    /// Metres to the zone boundary, unrounded.
    distance_m: Option<f64>,
}

/// Builds the finding a [`Pending`] records, its text borrowed from the rules, the
/// layers and their records where it can be.
fn build_finding<'s>(
    p: &Pending,
    sites: &'s [SiteLayer],
    zones: &'s [ZoneLayer],
    order: &'s FindingOrder,
) -> FindingView<'s> {
    let s = &sites[p.site_layer as usize];
    let (layer, i) = (&s.source.layer, p.site as usize);
    let rule = order.rules[p.rule as usize].0;
    let (lon, lat) = s.lonlat.of(layer.features[i].geometry.as_ref());
    let site_key = s.keys.key(&s.reader, i);
    let zone = p.zone.map(|(zl, pos)| (&zones[zl as usize], pos as usize));
    let finding_id = s.id_starts[p.rule as usize].finding_id(
        &site_key,
        zone.map(|(zl, pos)| (zl.source.layer.name.as_str(), zl.source.role, &zl.keys[pos])),
    );
    FindingView {
        finding_id: Cow::Owned(finding_id),
        rule_id: rule,
        severity: p.severity,
        site_layer: &layer.name,
        site_fid: layer.features[i].fid,
        site_name: s.reader.name(i).unwrap_or_default(),
        zone_layer: zone.map(|(zl, _)| zl.source.layer.name.as_str()),
        zone_fid: zone.map(|(zl, pos)| zl.source.layer.features[pos].fid),
        zone_name: zone.and_then(|(zl, pos)| zl.values[pos].name()),
        zone_level: zone.and_then(|(zl, pos)| {
            let v = &zl.values[pos];
            v.raw(crate::rules::CanonicalField::ZoneLevel)
                .or_else(|| v.level().map(|l| l.label_zh()))
        }),
        distance_m: p.distance_m.map(round_cm),
        lon,
        lat,
        county: s.reader.text_field(i, crate::rules::CanonicalField::County),
        status: ReviewStatus::Pending,
        note: "",
    }
}

/// Keeps one finding per id. Within a layer ids are unique (equal record keys are
/// told apart), but a site ledger loaded twice, or two ledgers of one role that
/// list the same site (same 统一社会信用代码, or same name and place), give the same
/// finding twice: it is kept under the first layer and the repeats are reported,
/// once per pair of layers, with the first example. `seqs` gives each finding's
/// position in the order found (layers in input order); "first" is in that order.
fn drop_repeated_sites(
    layers: &[RoleLayer],
    findings: &mut Vec<Finding>,
    seqs: &[u32],
    problems: &mut Vec<Problem>,
) {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry;
    let shared = layers_sharing_a_role(layers);
    if shared.is_empty() {
        return;
    }
    let mut found_order: Vec<usize> = (0..findings.len())
        .filter(|&i| shared.contains(&findings[i].site_layer.as_str()))
        .collect();
    found_order.sort_unstable_by_key(|&i| seqs[i]);
    // Each repeated finding with the one it repeats, by position.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut repeated: Vec<(usize, usize)> = Vec::new();
    for i in found_order {
        let f = &findings[i];
        match first.entry(f.finding_id.as_str()) {
            Entry::Vacant(v) => {
                v.insert(i);
            }
            Entry::Occupied(o) => repeated.push((i, *o.get())),
        }
    }
    drop(first);
    if repeated.is_empty() {
        return;
    }
    /// Layer pair → how many repeats, and the first one's record in each layer.
    type Repeats = (usize, crate::model::Fid, crate::model::Fid);
    let mut repeats: Vec<((String, String), Repeats)> = Vec::new();
    let mut keep = vec![true; findings.len()];
    for &(i, j) in &repeated {
        keep[i] = false;
        let (f, original) = (&findings[i], &findings[j]);
        let pair = (f.site_layer.clone(), original.site_layer.clone());
        match repeats.iter_mut().find(|(p, _)| *p == pair) {
            Some((_, (count, _, _))) => *count += 1,
            None => repeats.push((pair, (1, f.site_fid, original.site_fid))),
        }
    }
    let mut position = 0;
    findings.retain(|_| {
        position += 1;
        keep[position - 1]
    });
    for ((layer, first_layer), (count, fid, first_fid)) in repeats {
        let path = layers.iter().find(|l| l.layer.name == layer).map_or_else(
            || std::path::PathBuf::from(&layer),
            |l| l.layer.source.clone(),
        );
        problems.push(
            Problem::warning(
                &path,
                format!(
                    "{count} finding(s) of layer \"{layer}\" are for sites already in layer \"{first_layer}\" (the same credit code, or the same name and place; e.g. record {fid} repeats record {first_fid}); each is reported once, under \"{first_layer}\""
                ),
            )
            .at_record(fid)
            .with_hint("if the same ledger was loaded twice, remove one copy; otherwise correct the duplicated records")
            .with_zh(
                format!(
                    "图层“{layer}”有 {count} 条问题与图层“{first_layer}”中的点位重复（统一社会信用代码相同，或名称与地点相同；如记录 {fid} 与记录 {first_fid}），每条只在“{first_layer}”下报告一次"
                ),
                Some("如同一台账加载了两次，请移除其中一份；否则请改正重复的记录"),
            ),
        );
    }
}

/// Sorts findings by rule, site layer, site fid, zone layer, zone fid (names in
/// text order, no zone first), keeping the order of equal ones. The names are
/// ranked once, so the sort compares integers: a province's ledger can hold
/// hundreds of thousands of findings.
pub fn sort_findings(findings: &mut [Finding]) {
    fn ranks<'f>(names: impl Iterator<Item = &'f str>) -> std::collections::HashMap<&'f str, u32> {
        name_ranks(names).into_iter().collect()
    }
    let rules = ranks(findings.iter().map(|f| f.rule_id.as_str()));
    let layers = ranks(
        findings
            .iter()
            .flat_map(|f| [Some(f.site_layer.as_str()), f.zone_layer.as_deref()])
            .flatten(),
    );
    let rank = |names: &std::collections::HashMap<&str, u32>, name: &str| names[name];
    // Rule, site layer, site fid, zone layer (0: none), zone fid (0: none).
    type Key = (u32, u32, u64, u32, u64);
    let mut keys: Vec<(Key, u32)> = findings
        .iter()
        .zip(0u32..)
        .map(|(f, i)| {
            let zone = match (&f.zone_layer, f.zone_fid) {
                (Some(layer), fid) => (rank(&layers, layer) + 1, fid.map_or(0, |z| z + 1)),
                (None, fid) => (0, fid.map_or(0, |z| z + 1)),
            };
            (
                (
                    rank(&rules, &f.rule_id),
                    rank(&layers, &f.site_layer),
                    f.site_fid,
                    zone.0,
                    zone.1,
                ),
                i,
            )
        })
        .collect();
    keys.par_sort_unstable();
    // Position k takes the finding now at `from[k]`: the permutation is applied in
    // place, one cycle at a time, so the findings are neither copied nor reallocated.
    let mut from: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
    for start in 0..from.len() {
        let mut k = start;
        while from[k] as usize != k {
            let src = from[k] as usize;
            from[k] = k as u32;
            if src == start {
                break;
            }
            findings.swap(k, src);
            k = src;
        }
    }
}

/// Sites of one layer in one zone layer's CRS.
struct SitesIn<'a> {
    zone: &'a ZoneLayer<'a>,
    geoms: crate::engine::SiteGeometries<'a>,
    /// Distances are measured in a Gauss-Kruger zone for geographic zone CRSs.
    geographic: bool,
    /// Metres per zone-CRS unit.
    metres_per_unit: f64,
}

/// A site layer ready for building its findings.
struct SiteLayer<'a> {
    source: &'a RoleLayer,
    reader: LayerValues<'a>,
    /// The keys that need telling apart, found for every record.
    keys: LayerKeys,
    lonlat: LonLat,
    /// Per rule (by rank), what the ids of its findings on this layer share.
    id_starts: Vec<FindingIdStart>,
}

/// The findings of one site layer (at position `layer_pos` among the site layers)
/// as [`Pending`] records, in the order found, in parts.
fn check_site_layer(
    (layer_pos, rl, reader): (usize, &RoleLayer, &LayerValues),
    zones: &[ZoneLayer],
    input: &CheckInput,
    near_m: Option<f64>,
    order: &FindingOrder,
) -> Result<Vec<Vec<Pending>>, CheckError> {
    let layer = &rl.layer;
    // A site's values are read when a rule may fire, for the fields of the rules
    // that may (judged on the site's zone hits); the rest when it has a finding.
    let evaluated = FieldsEvaluated::new(&input.rules, rl.role);
    let declared = input.sites_crs.as_ref();
    let per_zone: Vec<SitesIn> = zones
        .iter()
        .map(|z| {
            Ok(SitesIn {
                zone: z,
                geoms: sites_into(layer, declared, &z.crs)?,
                geographic: z.crs.is_geographic(),
                metres_per_unit: z.crs.metres_per_unit(),
            })
        })
        .collect::<Result<_, JoinError>>()?;
    let site_rank = order.layer(&layer.name);

    // Sites in Z-order, in runs that share one candidate lookup per zone layer; point
    // sites' coordinates in each zone layer's CRS gathered in that order, so the
    // loop reads them in sequence rather than from a million scattered features.
    let (z_ordered, mut z_points) = match per_zone.first() {
        Some(s) => {
            let (order, points) = z_order_with_points(&s.geoms);
            (order, vec![points])
        }
        None => ((0..layer.features.len() as u32).collect(), Vec::new()),
    };
    z_points.extend(per_zone.iter().skip(1).map(|s| {
        z_ordered
            .par_iter()
            .map(|&i| match s.geoms.get(i as usize) {
                Some(Geometry::Point(p)) => p.0,
                _ => NOT_A_POINT,
            })
            .collect::<Vec<_>>()
    }));

    // Whether each site's fid is its position (as for every record of a shapefile):
    // then a finding's sort key needs no read of its feature, which in Z-order is a
    // read from anywhere in a million.
    let fids_are_positions = layer
        .features
        .par_iter()
        .enumerate()
        .all(|(i, f)| f.fid == i as u64);
    let fid_of = |i: usize| match fids_are_positions {
        true => i as u64,
        false => layer.features[i].fid,
    };
    // The rank of each zone layer's name, for the findings' sort keys.
    let zone_ranks: Vec<u32> = zones
        .iter()
        .map(|z| order.layer(&z.source.layer.name))
        .collect();
    // One finding of site `i`: (rule rank, severity), the zone hit, the zone record
    // behind it, the distance.
    let pending = |i: usize,
                   (rule, severity): (u32, Severity),
                   zone: Option<&ZoneHit>,
                   hit_ref: Option<HitRef>,
                   distance_m: Option<f64>| {
        let zone_rank = |z: &ZoneHit| match hit_ref {
            Some(r) => zone_ranks[r.layer],
            None => order.layer(&z.zone_layer),
        };
        let zone_key = zone.map_or((0, 0), |z| (zone_rank(z) + 1, z.zone_fid + 1));
        Pending {
            key: (rule, site_rank, fid_of(i), zone_key.0, zone_key.1),
            seq: 0,
            site_layer: layer_pos as u32,
            site: i as u32,
            rule,
            severity,
            zone: hit_ref.map(|r| (r.layer as u32, r.pos as u32)),
            distance_m,
        }
    };
    // What the rules find for site `i` with the zone hits in `buf`, reading the
    // values of `fields`: (rule rank, severity, position of the hit) per finding.
    // It depends on those values and on what the rules read of each hit alone, so
    // it is remembered per thread by the hits' signature and the stored bytes
    // behind the values (a ledger repeats a few flag, category and status values).
    let outcome = |i: usize, fields: crate::rules::FieldSet, buf: &mut SiteBuffers| -> Outcome {
        buf.key.clear();
        let keyed =
            hits_signature(&buf.hits, &mut buf.key) && reader.stored_key(i, fields, &mut buf.key);
        if keyed && let Some(found) = buf.outcomes.get(&buf.key[..]) {
            return found.clone();
        }
        let values = reader.values_of(i, &mut buf.memo, fields);
        let site = SiteRecord {
            role: rl.role,
            canonical: &values,
        };
        let hits = &buf.hits;
        let found: Outcome = evaluate_site(&input.rules, &site, hits)
            .iter()
            .map(|hit| {
                let k = hit
                    .zone
                    .and_then(|z| hits.iter().position(|h| std::ptr::eq(h, z)));
                (order.rule(hit.rule_id), hit.severity, k.map(|k| k as u32))
            })
            .collect();
        if keyed && buf.outcomes.len() < OUTCOME_MEMO_LIMIT {
            buf.outcomes
                .insert(buf.key.as_slice().into(), found.clone());
        }
        found
    };
    // The fields of the rules that may fire for a site near no zone, if any may.
    let unzoned_fields = evaluated.for_hits(&[]);
    // The findings of a site in, on or near a zone; a site near none is put aside in
    // `unzoned` for `unzoned_findings`.
    let site_findings =
        |(k, i): (usize, usize),
         buf: &mut SiteBuffers,
         run_parts: &RunParts,
         (out, unzoned): (&mut Vec<Pending>, &mut Vec<u32>)| {
            buf.hits.clear();
            buf.refs.clear();
            for (zi, s) in per_zone.iter().enumerate() {
                let at = z_points[zi][k];
                let shape = if at.x.is_nan() {
                    match s.geoms.get(i) {
                        Some(g) => SiteShape::of(g),
                        None => continue,
                    }
                } else {
                    SiteShape::Point(at)
                };
                zone_hits(s, zi, shape, near_m, run_parts.of(zi), buf);
            }
            if buf.hits.is_empty() {
                if unzoned_fields.is_some() {
                    unzoned.push(i as u32);
                }
                return;
            }
            let Some(fields) = evaluated.for_hits(&buf.hits) else {
                return;
            };
            let found = outcome(i, fields, buf);
            let (hits, refs) = (&buf.hits, &buf.refs);
            for &(rule, severity, hit) in found.iter() {
                let zone = hit.map(|k| &hits[k as usize]);
                let hit_ref = hit.map(|k| refs[k as usize]);
                let distance_m = zone.map(|z| match hit_ref {
                    Some(HitRef {
                        layer,
                        inside: Some(zone),
                        ..
                    }) => match z_points[layer][k] {
                        // A point site (gathered in Z-order: no scattered feature read).
                        at if !at.x.is_nan() => {
                            -metric_distance(&per_zone[layer], &zones[layer].index, zone, at)
                        }
                        _ => z.distance_m,
                    },
                    _ => z.distance_m,
                });
                out.push(pending(i, (rule, severity), zone, hit_ref, distance_m));
            }
        };
    let (mut found, unzoned): (Vec<Vec<Pending>>, Vec<Vec<u32>>) = z_ordered
        .par_chunks(Z_RUN)
        .enumerate()
        .with_max_len(RUNS_PER_TASK)
        .map_init(
            || (SiteBuffers::default(), RunParts::default()),
            |(buf, run_parts), (r, run)| {
                let first = r * Z_RUN;
                let points = z_points.iter().map(|p| &p[first..first + run.len()]);
                run_parts.find(&per_zone, points);
                if run_parts.may_hit() {
                    let read = run
                        .iter()
                        .fold(0, |read, &i| read ^ reader.touch_stored(i as usize));
                    std::hint::black_box(read);
                }
                let (mut out, mut unzoned) = (Vec::new(), Vec::new());
                for (k, &i) in (first..).zip(run) {
                    site_findings((k, i as usize), buf, run_parts, (&mut out, &mut unzoned));
                }
                (out, unzoned)
            },
        )
        .filter(|(out, unzoned)| !out.is_empty() || !unzoned.is_empty())
        .unzip();
    let Some(fields) = unzoned_fields else {
        return Ok(found);
    };

    // Sites near no zone, in file order (their records are read in sequence): only
    // rules without a zone clause can fire.
    let unzoned_findings = |i: usize, buf: &mut SiteBuffers, out: &mut Vec<Pending>| {
        for &(rule, severity, _) in outcome(i, fields, buf).iter() {
            out.push(pending(i, (rule, severity), None, None, None));
        }
    };
    let unzoned = in_file_order(&unzoned);
    found.extend(
        unzoned
            .par_chunks(UNZONED_CHUNK)
            .with_max_len(1)
            .map_init(SiteBuffers::default, |buf, sites| {
                let mut out = Vec::new();
                for &i in sites {
                    unzoned_findings(i as usize, buf, &mut out);
                }
                out
            })
            .filter(|v| !v.is_empty())
            .collect::<Vec<Vec<Pending>>>(),
    );
    Ok(found)
}

/// The distinct site positions of `parts` in ascending order: marked in a bit set
/// and read back, rather than sorted (most of a province's enterprises can be near
/// no zone).
fn in_file_order(parts: &[Vec<u32>]) -> Vec<u32> {
    let past_last = parts.iter().flatten().max().map_or(0, |&i| i as usize + 1);
    let mut marked = vec![0u64; past_last.div_ceil(64)];
    let mut count = 0;
    for &i in parts.iter().flatten() {
        marked[i as usize / 64] |= 1 << (i % 64);
        count += 1;
    }
    let mut ordered = Vec::with_capacity(count);
    for (w, &word) in marked.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            ordered.push((w * 64) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
    ordered
}

/// Sites near no zone per task of the pass over them.
const UNZONED_CHUNK: usize = 4096;

/// Runs of [`Z_RUN`] sites per task of the site loop, at most. Left to itself, rayon
/// cuts a loop into a few long tasks per thread and splits one only when another
/// thread takes part of it before it starts: the last long task then runs on
/// one core while the other waits (tens of milliseconds at a million sites). Each
/// task starts with fresh buffers and memos, so tasks are not made much shorter.
const RUNS_PER_TASK: usize = 256;

/// Per-thread buffers of the site loop, reused from site to site.
#[derive(Default)]
struct SiteBuffers {
    scratch: Vec<crate::engine::ZoneMatch>,
    near: Vec<crate::engine::NearMatch>,
    hits: Vec<ZoneHit>,
    /// Where each of `hits` comes from.
    refs: Vec<HitRef>,
    /// The site layer's category texts read so far.
    memo: ReadMemo,
    /// What the rules find for a site ([`Outcome`]), by its hits' signature
    /// ([`hits_signature`]) and the stored values of the fields the rules read
    /// ([`LayerValues::stored_key`]).
    outcomes: foldhash::HashMap<Box<[u8]>, Outcome>,
    /// The current site's key into `outcomes`.
    key: Vec<u8>,
}

/// What the rules found for one site: (rule rank, severity, position of the zone
/// hit, if any) per finding, in order.
type Outcome = std::rc::Rc<[(u32, Severity, Option<u32>)]>;

/// Outcomes remembered per thread in [`SiteBuffers::outcomes`].
const OUTCOME_MEMO_LIMIT: usize = 4096;

/// Appends what the rules read of each zone hit (role, level, city, relation,
/// distance), each hit in order and delimited; `false` (with `out` partly
/// written) when a hit is outside its zone: its distance is the site's own, so
/// remembering it would not serve another site.
fn hits_signature(hits: &[ZoneHit], out: &mut Vec<u8>) -> bool {
    out.extend_from_slice(&(hits.len() as u32).to_le_bytes());
    for h in hits {
        if h.location == ZoneRelation::Outside {
            return false;
        }
        let level = h.level.map_or(0, |l| l as u8 + 1);
        out.extend_from_slice(&[h.role as u8, level, h.location as u8]);
        out.extend_from_slice(&h.distance_m.to_bits().to_le_bytes());
        match &h.zone_city {
            Some(city) => {
                out.extend_from_slice(&(city.len() as u32).to_le_bytes());
                out.extend_from_slice(city.as_bytes());
            }
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    true
}

/// Per zone layer, the candidate parts of the current run's points in the layer's
/// index, when one lookup served the run.
#[derive(Default)]
struct RunParts {
    parts: Vec<Vec<u32>>,
    batched: Vec<bool>,
}

impl RunParts {
    /// Looks up the candidates of a run's point sites in every zone layer, given their
    /// coordinates in each layer's CRS ([`NOT_A_POINT`] for other sites).
    fn find<'p>(&mut self, per_zone: &[SitesIn], points: impl Iterator<Item = &'p [Coord<f64>]>) {
        self.parts.resize_with(per_zone.len(), Vec::new);
        self.batched.clear();
        for ((s, parts), points) in per_zone.iter().zip(&mut self.parts).zip(points) {
            // Non-finite coordinates are left out by `run_candidates`.
            let points = points.iter().copied();
            let batched = run_candidates(&s.zone.index, points, parts);
            self.batched.push(batched);
        }
    }

    /// Whether a site of the run may be in or near a zone: a lookup found
    /// candidates, or did not serve.
    fn may_hit(&self) -> bool {
        (self.parts.iter().zip(&self.batched))
            .any(|(parts, &batched)| !batched || !parts.is_empty())
    }

    /// The candidates in zone layer `zone_layer`, if the lookup served.
    fn of(&self, zone_layer: usize) -> Option<&[u32]> {
        match self.batched.get(zone_layer) {
            Some(true) => self.parts.get(zone_layer).map(Vec::as_slice),
            _ => None,
        }
    }
}

/// The zone record behind a [`ZoneHit`].
#[derive(Clone, Copy, Debug)]
struct HitRef {
    /// Position of the zone layer among the check's zone layers.
    layer: usize,
    /// Position of the zone feature in its layer.
    pos: usize,
    /// For a point inside the zone, the zone's index number: its (negative) distance
    /// to the boundary is only reported, so it is measured for findings only, and
    /// the hit carries NaN until then.
    inside: Option<u32>,
}

/// Site positions in WGS84 for the findings. Only sites with findings are
/// transformed, so a million-site layer with a few findings costs a few transforms.
/// The CRS is resolved as [`sites_into`] resolves it (the declared one, else the
/// layer's own) and a site that fails to transform reports NaN.
struct LonLat {
    source: SiteCrs,
    /// GCJ-02 / BD-09 coordinates, corrected to WGS84 before the transform.
    offset: bool,
    transform: Transform,
}

impl LonLat {
    fn new(layer: &Layer, declared: Option<&SiteCrs>) -> Result<LonLat, JoinError> {
        let source = match declared {
            Some(s) => s.clone(),
            None => layer.crs.crs.clone().map(SiteCrs::Crs).ok_or_else(|| {
                JoinError::UnknownSiteCrs {
                    layer: layer.source.display().to_string(),
                }
            })?,
        };
        let offset = !matches!(source, SiteCrs::Crs(_));
        let transform =
            Transform::new(&source.base_crs(), &Crs::wgs84()).map_err(|source| JoinError::Crs {
                layer: layer.name.clone(),
                source,
            })?;
        Ok(LonLat {
            source,
            offset,
            transform,
        })
    }

    /// The representative point of a site geometry in WGS84 (lon, lat).
    fn of(&self, g: Option<&Geometry<f64>>) -> (f64, f64) {
        let Some(g) = g else {
            return (f64::NAN, f64::NAN);
        };
        if !self.offset && self.transform.is_identity() {
            return representative_lonlat(g);
        }
        if let Geometry::Point(p) = g {
            let (x, y) = match self.offset {
                true => self.source.correct(p.x(), p.y()),
                false => (p.x(), p.y()),
            };
            return self.transform.apply(x, y).unwrap_or((f64::NAN, f64::NAN));
        }
        let mut g = g.clone();
        if self.offset {
            geo::MapCoordsInPlace::map_coords_in_place(&mut g, |c| {
                let (x, y) = self.source.correct(c.x, c.y);
                Coord { x, y }
            });
        }
        if !self.transform.is_identity() && self.transform.apply_geometry(&mut g).is_err() {
            return (f64::NAN, f64::NAN);
        }
        representative_lonlat(&g)
    }
}

/// The position of the feature with this fid (fids are record order, so usually the
/// same number).
fn feature_position(layer: &Layer, fid: crate::model::Fid) -> Option<usize> {
    let guess = usize::try_from(fid).ok()?;
    if layer.features.get(guess).is_some_and(|f| f.fid == fid) {
        return Some(guess);
    }
    layer.features.iter().position(|f| f.fid == fid)
}

fn round_cm(m: f64) -> f64 {
    (m * 100.0).round() / 100.0
}

/// A point to report for a site: the point itself, or the first vertex.
fn representative_lonlat(g: &Geometry<f64>) -> (f64, f64) {
    use geo::CoordsIter;
    g.coords_iter()
        .next()
        .map(|c| (c.x, c.y))
        .unwrap_or((f64::NAN, f64::NAN))
}

/// A site as [`zone_hits`] takes it: a point's coordinates, or another geometry
/// (both in the zone layer's CRS).
#[derive(Clone, Copy)]
enum SiteShape<'g> {
    Point(Coord<f64>),
    Other(&'g Geometry<f64>),
}

impl<'g> SiteShape<'g> {
    fn of(g: &'g Geometry<f64>) -> SiteShape<'g> {
        match g {
            Geometry::Point(p) => SiteShape::Point(p.0),
            other => SiteShape::Other(other),
        }
    }
}

/// The zones of one layer a site is in, on, or near (within `near_m` outside), pushed
/// onto `buf.hits` and `buf.refs`.
fn zone_hits(
    s: &SitesIn,
    zone_layer: usize,
    shape: SiteShape,
    near_m: Option<f64>,
    parts: Option<&[u32]>,
    buf: &mut SiteBuffers,
) {
    let z = s.zone;
    if let (Some(near), SiteShape::Point(p), true) = (near_m, shape, z.reaching) {
        return point_hits(s, zone_layer, p, near, parts, buf);
    }
    let index: &ZoneIndex = &z.index;
    let intersects = crate::engine::Predicate::Intersects;
    let matches = match (shape, parts) {
        (SiteShape::Point(p), Some(parts)) => {
            index.locate_point_in(p, parts, &mut buf.scratch);
            buf.scratch.clone()
        }
        (SiteShape::Point(p), None) => {
            let g = Geometry::Point(geo_types::Point(p));
            crate::engine::matches_for_site(index, &g, intersects, &mut buf.scratch)
        }
        (SiteShape::Other(g), _) => {
            crate::engine::matches_for_site(index, g, intersects, &mut buf.scratch)
        }
    };
    let probe = match shape {
        SiteShape::Point(p) => Some(p),
        SiteShape::Other(_) => None,
    };
    let mut push = |fid, location, distance_m, inside| {
        push_hit(z, zone_layer, buf, (fid, location, distance_m, inside));
    };
    for m in &matches {
        let fid = index.zone_fid(m.zone);
        match (m.location, probe) {
            (Location::OnBoundary, _) => push(fid, ZoneRelation::OnBoundary, 0.0, None),
            (_, Some(_)) => push(fid, ZoneRelation::Inside, f64::NAN, Some(m.zone)),
            (_, None) => push(fid, ZoneRelation::Inside, 0.0, None),
        }
    }
    let (Some(near), Some(p)) = (near_m, probe) else {
        return;
    };
    let matched = |fid: crate::model::Fid| matches.iter().any(|m| index.zone_fid(m.zone) == fid);
    // Geographic zone CRS: the candidates by bounding box, measured one by one.
    let radius = near / s.metres_per_unit;
    for zone in index.zones_near(p, radius) {
        let fid = index.zone_fid(zone);
        if matched(fid) {
            continue;
        }
        let d = metric_distance(s, index, zone, p);
        if d <= near {
            push(fid, ZoneRelation::Outside, d, None);
        }
    }
}

/// [`zone_hits`] for a point in a projected zone CRS, through the index built with
/// the near-boundary reach: one pass finds the zones the point is in or on (with
/// the check's boundary tolerance) and those it is near, with their distances.
fn point_hits(
    s: &SitesIn,
    zone_layer: usize,
    p: Coord<f64>,
    near: f64,
    parts: Option<&[u32]>,
    buf: &mut SiteBuffers,
) {
    let z = s.zone;
    let index = &z.index;
    let mut matches = std::mem::take(&mut buf.near);
    match parts {
        Some(parts) => index.locate_point_near_in(p, parts, &mut matches),
        None => index.locate_point_near(p, &mut matches),
    }
    // In or on first, then near, each in zone order.
    for m in matches.iter().filter(|m| m.location != Location::Outside) {
        let fid = index.zone_fid(m.zone);
        let hit = match m.location {
            Location::OnBoundary => (fid, ZoneRelation::OnBoundary, 0.0, None),
            _ => (fid, ZoneRelation::Inside, f64::NAN, Some(m.zone)),
        };
        push_hit(z, zone_layer, buf, hit);
    }
    for m in matches.iter().filter(|m| m.location == Location::Outside) {
        let d = m.distance2.sqrt() * s.metres_per_unit;
        if d <= near {
            let fid = index.zone_fid(m.zone);
            push_hit(z, zone_layer, buf, (fid, ZoneRelation::Outside, d, None));
        }
    }
    buf.near = matches;
}

/// Pushes one zone hit `(zone fid, relation, distance in metres, zone index number
/// when inside)` with its [`HitRef`].
fn push_hit(
    z: &ZoneLayer,
    zone_layer: usize,
    buf: &mut SiteBuffers,
    (fid, location, distance_m, inside): (crate::model::Fid, ZoneRelation, f64, Option<u32>),
) {
    let Some(pos) = feature_position(&z.source.layer, fid) else {
        return;
    };
    buf.refs.push(HitRef {
        layer: zone_layer,
        pos,
        inside,
    });
    buf.hits.push(ZoneHit::from_zone_values(
        &z.source.layer.name,
        fid,
        z.source.role,
        &z.values[pos],
        location,
        distance_m,
    ));
}

/// Metric distance from `p` (zone CRS) to the zone's boundary: in the zone's CRS if
/// projected, else in the CGCS2000 3-degree Gauss-Kruger zone of the site.
fn metric_distance(s: &SitesIn, index: &ZoneIndex, zone: u32, p: Coord<f64>) -> f64 {
    if !s.geographic {
        return index.nearest_distance(zone, p) * s.metres_per_unit;
    }
    let (_, q) = index.nearest_boundary(zone, p, p.y.to_radians().cos());
    let gk = Crs::gk3_for_lon(p.x);
    match Transform::new(&s.zone.crs, &gk) {
        Ok(t) => match (t.apply(p.x, p.y), t.apply(q.x, q.y)) {
            (Ok(a), Ok(b)) => ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt(),
            _ => f64::NAN,
        },
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{ReadOptions, read_path};
    use crate::rules::FieldSet;

    /// The sample county's layers, site shapefiles read whole or on demand.
    fn sample_input(defer: bool) -> CheckInput {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let files = [
            (LayerRole::WaterZone, "水源保护区.shp"),
            (LayerRole::CoalBanZone, "禁煤区.geojson"),
            (LayerRole::BuiltUpArea, "建成区.geojson"),
            (LayerRole::Enterprise, "散乱污企业.shp"),
            (LayerRole::Boiler, "锅炉台账.xlsx"),
        ];
        let mut layers = Vec::new();
        for (role, file) in files {
            let opts = ReadOptions {
                defer_attributes: defer && !role.is_zone(),
                ..ReadOptions::default()
            };
            for layer in read_path(&dir.join(file), &opts).unwrap() {
                let mapping = mapping_for(role, &layer);
                layers.push(RoleLayer {
                    layer,
                    role,
                    mapping,
                });
            }
        }
        CheckInput {
            layers,
            rules: crate::rules::builtin(),
            sites_crs: None,
            tolerance_m: 0.5,
        }
    }

    #[test]
    fn importing_role_layers_keeps_unchanged_ones_and_replaces_their_roles() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = crate::project::Project::create(&dir.path().join("p.gpkg")).unwrap();
        let input = sample_input(false);
        let roles: Vec<LayerRole> = input.layers.iter().map(|l| l.role).collect();
        let imported = |done: &[LayerImport]| {
            (done.iter())
                .map(|d| match d {
                    LayerImport::Imported(n) => format!("imported {n}"),
                    LayerImport::Kept(n) => format!("kept {n}"),
                    LayerImport::Replaced(n) => format!("replaced {n}"),
                })
                .collect::<Vec<_>>()
        };
        let every = |what: &str| -> Vec<String> {
            (input.layers.iter())
                .map(|l| format!("{what} {}", l.layer.name))
                .collect()
        };
        let first = import_role_layers(&mut project, &input.layers, &roles).unwrap();
        assert_eq!(imported(&first), every("imported"));
        let again = import_role_layers(&mut project, &input.layers, &roles).unwrap();
        assert_eq!(imported(&again), every("kept"));
        // The boilers again, edited and renamed: imported, and the old boilers go; the
        // other layers, of roles not given, stay.
        let mut boilers = input
            .layers
            .iter()
            .find(|l| l.role == LayerRole::Boiler)
            .unwrap()
            .clone();
        let old_name = std::mem::replace(&mut boilers.layer.name, "锅炉台账（新）".into());
        boilers.layer.features.pop();
        let done = import_role_layers(&mut project, &[boilers], &[LayerRole::Boiler]).unwrap();
        assert_eq!(
            imported(&done),
            [
                "imported 锅炉台账（新）".to_string(),
                format!("replaced {old_name}")
            ]
        );
        let (held, _) = project_layers(&project).unwrap();
        assert_eq!(held.len(), input.layers.len());
        assert!(held.iter().any(|l| l.layer.name == "锅炉台账（新）"));
        assert!(!held.iter().any(|l| l.layer.name == old_name));
        let (others, _) = project_layers_except(&project, &[LayerRole::Boiler]).unwrap();
        assert_eq!(others.len(), input.layers.len() - 1);
    }

    #[test]
    fn sites_near_no_zone_come_back_in_file_order() {
        // Positions as the Z-ordered loop gives them: each once, scattered over parts.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut positions: Vec<u32> = (0..5000).filter(|i| i % 3 != 1).collect();
        for k in (1..positions.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            positions.swap(k, (state % (k as u64 + 1)) as usize);
        }
        let parts: Vec<Vec<u32>> = positions.chunks(97).map(<[u32]>::to_vec).collect();
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(in_file_order(&parts), sorted);
        // Sparse positions come back too; no parts, none.
        assert_eq!(
            in_file_order(&[vec![70, 3], vec![], vec![200]]),
            [3, 70, 200]
        );
        assert!(in_file_order(&[]).is_empty());
    }

    #[test]
    fn a_check_over_attributes_read_on_demand_finds_what_a_whole_read_finds() {
        let (whole, deferred) = (sample_input(false), sample_input(true));
        assert!(deferred.layers.iter().any(|l| l.layer.deferred.is_some()));
        for (a, b) in whole.layers.iter().zip(&deferred.layers) {
            assert_eq!(a.layer.problems, b.layer.problems, "{}", a.layer.name);
            assert_eq!(a.mapping, b.mapping, "{}", a.layer.name);
        }
        let quiet = |_: &str, _: f32| {};
        let cancel = AtomicBool::new(false);
        let whole = run_check(&whole, &quiet, &cancel).unwrap();
        let deferred = run_check(&deferred, &quiet, &cancel).unwrap();
        assert!(
            whole
                .findings
                .iter()
                .any(|f| f.site_layer == "散乱污企业" && !f.site_name.is_empty())
        );
        assert_eq!(deferred.findings, whole.findings);
        assert_eq!(deferred.problems, whole.problems);
    }

    /// The findings of the built-in rules on `layers`, each mapped for its role.
    fn builtin_findings(layers: Vec<(Layer, LayerRole)>) -> Vec<Finding> {
        let input = CheckInput {
            layers: layers
                .into_iter()
                .map(|(layer, role)| RoleLayer {
                    mapping: mapping_for(role, &layer),
                    layer,
                    role,
                })
                .collect(),
            rules: crate::rules::builtin(),
            sites_crs: None,
            tolerance_m: 0.5,
        };
        let quiet = |_: &str, _: f32| {};
        run_check(&input, &quiet, &AtomicBool::new(false))
            .unwrap()
            .findings
    }

    #[test]
    fn sites_near_no_zone_find_the_same_through_remembered_outcomes() {
        // An enterprise ledger with no places: every site is near no zone, and its
        // rows repeat a few flag values, so most are answered from what an earlier
        // row with the same stored values found.
        let columns = [
            ("企业名称", 20),
            ("是否散乱污", 4),
            ("整治类型", 12),
            ("是否完成", 4),
        ];
        let names: Vec<String> = (0..96).map(|i| format!("第{i}号企业")).collect();
        let (flags, kinds, done) = (["是", "否"], ["关停取缔", "整合搬迁"], ["否", "是"]);
        let rows: Vec<Vec<&str>> = (0..names.len())
            .map(|i| {
                vec![
                    &names[i][..],
                    flags[i % 2],
                    kinds[i / 2 % 2],
                    done[i / 4 % 2],
                ]
            })
            .collect();
        let mut deferred = crate::rules::ids::tests::gbk_ledger(&columns, &rows);
        deferred.crs.crs = Some(Crs::wgs84());
        let mut whole = deferred.clone();
        whole.materialize_attributes();
        let findings = |layer: Layer| builtin_findings(vec![(layer, LayerRole::Enterprise)]);
        let (on_demand, read_whole) = (findings(deferred), findings(whole));
        // (Compared as text: the sites have no place, so their lon/lat are NaN.)
        assert_eq!(format!("{on_demand:?}"), format!("{read_whole:?}"));
        // Open 散乱污 enterprises (是, not done) in two spellings of 整治类型: many
        // findings, each of two outcomes reused in every run of the loop.
        assert_eq!(on_demand.len(), 24);
    }

    #[test]
    fn sites_in_zones_find_the_same_through_remembered_outcomes() {
        // Enterprises in a level-1 zone, in a level-2 zone around it, and outside
        // both, their rows repeating a few industries and flags: sites in zones
        // with the same zone hits and stored values are answered from what an
        // earlier one found; read whole, every site is evaluated.
        let square = |x0: f64, y0: f64, r: f64| {
            Geometry::Polygon(geo_types::Polygon::new(
                geo_types::LineString::from(vec![
                    (x0 - r, y0 - r),
                    (x0 + r, y0 - r),
                    (x0 + r, y0 + r),
                    (x0 - r, y0 + r),
                    (x0 - r, y0 - r),
                ]),
                vec![],
            ))
        };
        let mut zones = crate::rules::ids::tests::gbk_ledger(
            &[("保护区级别", 12), ("水源地名称", 20)],
            &[vec!["一级保护区", "甲水库"], vec!["二级保护区", "甲水库"]],
        );
        zones.crs.crs = Some(Crs::wgs84());
        zones.features[0].geometry = Some(square(112.5, 37.8, 0.01));
        zones.features[1].geometry = Some(square(112.5, 37.8, 0.05));
        zones.materialize_attributes();
        let columns = [("企业名称", 20), ("行业", 16), ("是否散乱污", 4)];
        let names: Vec<String> = (0..120).map(|i| format!("第{i}号企业")).collect();
        let industries = ["化学原料制造", "食品加工", "印染"];
        let rows: Vec<Vec<&str>> = (0..names.len())
            .map(|i| {
                vec![
                    &names[i][..],
                    industries[i / 3 % 3],
                    ["是", "否"][i / 9 % 2],
                ]
            })
            .collect();
        let mut deferred = crate::rules::ids::tests::gbk_ledger(&columns, &rows);
        deferred.crs.crs = Some(Crs::wgs84());
        for (i, f) in deferred.features.iter_mut().enumerate() {
            // In the level-1 zone, in the level-2 ring, or far outside.
            let (dx, dy) = (0.0003 * (i % 7) as f64, 0.0002 * (i % 5) as f64);
            let x = [112.5, 112.53, 112.7][i % 3] + dx;
            f.geometry = Some(Geometry::Point(geo_types::Point::new(x, 37.8 + dy)));
        }
        let mut whole = deferred.clone();
        whole.materialize_attributes();
        let findings = |layer: Layer| {
            builtin_findings(vec![
                (zones.clone(), LayerRole::WaterZone),
                (layer, LayerRole::Enterprise),
            ])
        };
        let (on_demand, read_whole) = (findings(deferred), findings(whole));
        assert_eq!(on_demand, read_whole);
        let in_zones = on_demand.iter().filter(|f| f.zone_fid.is_some()).count();
        assert!(in_zones >= 80, "{in_zones} findings in zones");
        // The level-1 zone's findings carry each site's own depth.
        let depths: std::collections::HashSet<String> = on_demand
            .iter()
            .filter(|f| f.zone_fid == Some(0))
            .filter_map(|f| f.distance_m.map(|d| d.to_string()))
            .collect();
        assert!(depths.len() > 5, "{depths:?}");
    }

    #[test]
    fn rules_read_only_the_fields_they_evaluate() {
        let input = sample_input(true);
        let mut memo = ReadMemo::default();
        // Every zone of the sample, as a hit inside it and as one 30 m outside.
        let mut hits = Vec::new();
        for rl in input.layers.iter().filter(|l| l.role.is_zone()) {
            let values = canonical_values_all(&rl.layer, &rl.mapping);
            for (f, v) in rl.layer.features.iter().zip(&values) {
                for (location, d) in [(ZoneRelation::Inside, -5.0), (ZoneRelation::Outside, 30.0)] {
                    hits.push(ZoneHit::from_zone_values(
                        &rl.layer.name,
                        f.fid,
                        rl.role,
                        v,
                        location,
                        d,
                    ));
                }
            }
        }
        // And each without its city, so that rules scoped by place read the site's.
        let cityless: Vec<ZoneHit> = hits
            .iter()
            .map(|h| ZoneHit {
                zone_city: None,
                ..h.clone()
            })
            .collect();
        hits.extend(cityless);
        let (mut compared, mut attribute_hits, mut skipped) = (0, 0, 0);
        for rl in input.layers.iter().filter(|l| !l.role.is_zone()) {
            let reader = LayerValues::new(&rl.layer, &rl.mapping);
            let evaluated = FieldsEvaluated::new(&input.rules, rl.role);
            for i in 0..rl.layer.features.len() {
                let all = reader.values(i, &mut memo);
                // What a finding shows, read without the values.
                assert_eq!(reader.name(i).as_deref(), all.name());
                assert_eq!(
                    reader
                        .text_field(i, crate::rules::CanonicalField::County)
                        .as_deref(),
                    all.county()
                );
                let site = |canonical| SiteRecord {
                    role: rl.role,
                    canonical,
                };
                // Every zone at once, each zone alone (in and near), and no zone:
                // a site near no zone is read for the rules without a zone clause.
                let each = [&hits[..]].into_iter().chain(hits.chunks(2));
                for zones in each.chain([&[][..]]) {
                    let a = evaluate_site(&input.rules, &site(&all), zones);
                    let Some(fields) = evaluated.for_hits(zones) else {
                        assert!(a.is_empty(), "{} record {i}", rl.layer.name);
                        skipped += 1;
                        continue;
                    };
                    assert_ne!(fields, FieldSet::ALL);
                    let some = reader.values_of(i, &mut memo, fields);
                    let b = evaluate_site(
                        &input.rules,
                        &SiteRecord {
                            canonical: &some,
                            ..site(&all)
                        },
                        zones,
                    );
                    assert_eq!(a, b, "{} record {i}", rl.layer.name);
                    compared += a.len();
                    if zones.is_empty() {
                        attribute_hits += a.len();
                    }
                }
            }
        }
        assert!(compared > 100, "{compared}");
        assert!(attribute_hits > 0);
        assert!(skipped > 0);
    }

    #[test]
    fn materialized_attributes_equal_a_whole_read() {
        let whole = sample_input(false);
        let mut deferred = sample_input(true);
        for (a, b) in whole.layers.iter().zip(&mut deferred.layers) {
            b.layer.materialize_attributes();
            assert!(b.layer.deferred.is_none());
            assert_eq!(a.layer.features, b.layer.features, "{}", a.layer.name);
        }
    }

    #[test]
    fn findings_sort_by_rule_layer_and_record_keeping_equal_ones_in_order() {
        let finding =
            |rule: &str, site: (&str, u64), zone: Option<(&str, Option<u64>)>, note: &str| {
                Finding {
                    finding_id: String::new(),
                    rule_id: rule.into(),
                    severity: crate::model::Severity::Violation,
                    site_layer: site.0.into(),
                    site_fid: site.1,
                    site_name: String::new(),
                    zone_layer: zone.map(|z| z.0.to_string()),
                    zone_fid: zone.and_then(|z| z.1),
                    zone_name: None,
                    zone_level: None,
                    distance_m: None,
                    lon: 0.0,
                    lat: 0.0,
                    county: None,
                    status: ReviewStatus::Pending,
                    note: note.into(),
                }
            };
        let mut findings = Vec::new();
        let mut seed = 7u64;
        for i in 0..400 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = |n: u64| (seed >> 33) % n;
            let rule =
                ["water-level1", "boiler-elimination", "a", "water-level10"][pick(4) as usize];
            let site = ["锅炉", "企业", "b"][(pick(3) as usize + i) % 3];
            let zone = match pick(5) {
                0 => None,
                1 => Some(("水源", None)),
                k => Some((["水源", "建成区", "企业"][k as usize % 3], Some(pick(3)))),
            };
            findings.push(finding(rule, (site, pick(6)), zone, &i.to_string()));
        }
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            (
                &a.rule_id,
                &a.site_layer,
                a.site_fid,
                &a.zone_layer,
                a.zone_fid,
            )
                .cmp(&(
                    &b.rule_id,
                    &b.site_layer,
                    b.site_fid,
                    &b.zone_layer,
                    b.zone_fid,
                ))
        });
        sort_findings(&mut findings);
        assert_eq!(findings, expected);
    }

    #[test]
    fn a_ledger_loaded_twice_reports_each_site_once_and_says_so() {
        let mut input = sample_input(false);
        let copy = input
            .layers
            .iter()
            .find(|l| l.layer.name == "散乱污企业")
            .cloned()
            .unwrap();
        let single = run_check(&input, &|_: &str, _: f32| {}, &AtomicBool::new(false)).unwrap();
        let mut copy = copy;
        copy.layer.name = "散乱污企业(1)".into();
        input.layers.push(copy);
        let twice = run_check(&input, &|_: &str, _: f32| {}, &AtomicBool::new(false)).unwrap();
        assert_eq!(twice.findings, single.findings);
        let repeats: Vec<&Problem> = twice
            .problems
            .iter()
            .filter(|p| p.message.contains("already in layer"))
            .collect();
        assert_eq!(repeats.len(), 1, "{repeats:?}");
        let enterprise_findings = single
            .findings
            .iter()
            .filter(|f| f.site_layer == "散乱污企业")
            .count();
        assert!(repeats[0].message.starts_with(&format!(
            "{enterprise_findings} finding(s) of layer \"散乱污企业(1)\""
        )));
        assert!(
            repeats[0]
                .zh
                .as_ref()
                .unwrap()
                .message
                .contains("散乱污企业(1)")
        );
    }

    #[test]
    fn findings_handed_over_in_blocks_are_the_findings_in_order() {
        let quiet = |_: &str, _: f32| {};
        let cancel = AtomicBool::new(false);
        let mut input = sample_input(true);
        let blocks = |input: &CheckInput, len| {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let copy = |k: usize, block: &[FindingView]| {
                next.fetch_add(1, Ordering::Relaxed);
                (
                    k,
                    block
                        .iter()
                        .cloned()
                        .map(FindingView::into_finding)
                        .collect::<Vec<_>>(),
                )
            };
            let (out, blocks) = run_check_blocks(input, &quiet, &cancel, len, &copy).unwrap();
            assert!(out.findings.is_empty());
            assert_eq!(
                next.into_inner(),
                blocks.len(),
                "each block handed over once"
            );
            let numbers: Vec<usize> = blocks.iter().map(|(k, _)| *k).collect();
            assert_eq!(numbers, (0..blocks.len()).collect::<Vec<_>>());
            (
                out.problems,
                blocks.into_iter().map(|(_, b)| b).collect::<Vec<_>>(),
            )
        };
        for twice in [false, true] {
            if twice {
                // A ledger loaded twice: the repeats are dropped from the whole list
                // before it is handed over.
                let mut copy = input
                    .layers
                    .iter()
                    .find(|l| l.layer.name == "散乱污企业")
                    .cloned()
                    .unwrap();
                copy.layer.name = "散乱污企业(1)".into();
                input.layers.push(copy);
            }
            let whole = run_check(&input, &quiet, &cancel).unwrap();
            assert!(whole.findings.len() > 20);
            for len in [1, 7, 4096] {
                let (problems, made) = blocks(&input, len);
                assert!(made.iter().all(|b| !b.is_empty() && b.len() <= len));
                assert_eq!(made.concat(), whole.findings, "blocks of {len}");
                assert_eq!(problems.len(), whole.problems.len());
            }
        }
    }

    #[test]
    fn parts_are_numbered_in_order_across_empty_ones() {
        // Parts of many sizes, empty ones among them (first, in between, last).
        let lens = [0usize, 2, 0, 3, 0, 0, 1, 5000, 0, 7, 1, 0];
        let mut site = 0u32;
        let parts: Vec<Vec<Pending>> = lens
            .iter()
            .map(|&n| {
                (0..n)
                    .map(|_| {
                        site += 1;
                        Pending {
                            key: (0, 0, u64::from(site), 0, 0),
                            seq: u32::MAX,
                            site_layer: 0,
                            site,
                            rule: 0,
                            severity: Severity::Violation,
                            zone: None,
                            distance_m: None,
                        }
                    })
                    .collect()
            })
            .collect();
        let all = numbered_in_order(&parts);
        assert_eq!(all.len(), lens.iter().sum::<usize>());
        for (k, p) in all.iter().enumerate() {
            assert_eq!((p.seq as usize, p.site as usize), (k, k + 1));
        }
        assert!(numbered_in_order(&[]).is_empty());
        assert!(numbered_in_order(&[Vec::new(), Vec::new()]).is_empty());
    }
}
