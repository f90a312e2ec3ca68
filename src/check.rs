//! The check: every site layer against every zone layer through the engine, the rules
//! evaluated on canonical values, findings with stable ids. The CLI (`check`, `demo`)
//! and the desktop app call [`run_check`].

use std::sync::atomic::{AtomicBool, Ordering};

use geo_types::{Coord, Geometry};
use rayon::prelude::*;

use crate::crs::{Crs, SiteCrs, Transform};
use crate::engine::{IndexedZones, JoinError, Location, ZoneIndex, sites_into};
use crate::model::{Finding, Layer, Problem, ReviewStatus};
use crate::rules::{
    CanonicalValues, FieldMapping, LayerRole, RecordKey, RuleSet, SiteRecord, ZoneHit,
    ZoneRelation, canonical_values_all, check_mapping, evaluate_site, finding_id_for, layer_keys,
    rules_needing_distance,
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
    let mut layers = Vec::new();
    let mut skipped = Vec::new();
    for entry in project.layers()? {
        let Some(role) = LayerRole::from_code(&entry.role) else {
            skipped.push(entry.name.clone());
            continue;
        };
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
    indexed: IndexedZones,
    values: Vec<CanonicalValues>,
    keys: Vec<RecordKey>,
}

/// Runs the check. `cancel` is polled between stages and layers.
pub fn run_check(
    input: &CheckInput,
    progress: &dyn CheckProgress,
    cancel: &AtomicBool,
) -> Result<CheckOutput, CheckError> {
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
        let indexed = IndexedZones::build_ref(&rl.layer, input.tolerance_m)?;
        out.zones_indexed += indexed.index.len();
        zones.push(ZoneLayer {
            source: rl,
            indexed,
            values,
            keys,
        });
    }

    let site_layers: Vec<&RoleLayer> = input.layers.iter().filter(|l| !l.role.is_zone()).collect();
    let total_sites: usize = site_layers.iter().map(|l| l.layer.features.len()).sum();
    let mut done = 0usize;
    for rl in site_layers {
        check_cancel()?;
        progress.stage(
            &format!("checking {}", rl.layer.name),
            done as f32 / total_sites.max(1) as f32,
        );
        out.problems.extend(check_mapping(&rl.layer, &rl.mapping));
        let findings = check_site_layer(rl, &zones, input, near_m, &mut out.problems)?;
        out.findings.extend(findings);
        done += rl.layer.features.len();
        out.sites_checked += rl.layer.features.len();
    }
    progress.stage("sorting findings", 1.0);
    out.findings.sort_by(|a, b| {
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
    Ok(out)
}

/// Sites of one layer in one zone layer's CRS.
struct SitesIn<'a> {
    zone: &'a ZoneLayer<'a>,
    geoms: crate::engine::SiteGeometries<'a>,
    /// Converts zone-CRS distances to metres: `None` for projected metre CRSs.
    geographic: bool,
}

fn check_site_layer(
    rl: &RoleLayer,
    zones: &[ZoneLayer],
    input: &CheckInput,
    near_m: Option<f64>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Finding>, CheckError> {
    let layer = &rl.layer;
    let values = canonical_values_all(layer, &rl.mapping);
    for v in &values {
        problems.extend(v.problems.iter().cloned());
    }
    let keys = layer_keys(layer.features.iter().map(|f| f.fid).zip(values.iter()));
    let declared = input.sites_crs.as_ref();
    let lonlat = sites_into(layer, declared, &Crs::wgs84())?;
    let per_zone: Vec<SitesIn> = zones
        .iter()
        .map(|z| {
            Ok(SitesIn {
                zone: z,
                geoms: sites_into(layer, declared, &z.indexed.crs)?,
                geographic: z.indexed.crs.is_geographic(),
            })
        })
        .collect::<Result<_, JoinError>>()?;

    let findings: Vec<Finding> = (0..layer.features.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let mut hits: Vec<ZoneHit> = Vec::new();
            let mut refs: Vec<(usize, usize)> = Vec::new();
            let mut scratch = Vec::new();
            for (zi, s) in per_zone.iter().enumerate() {
                if let Some(g) = s.geoms.get(i) {
                    zone_hits(s, zi, g, near_m, &mut scratch, &mut hits, &mut refs);
                }
            }
            let site = SiteRecord {
                layer: &layer.name,
                fid: layer.features[i].fid,
                role: rl.role,
                canonical: &values[i],
            };
            let (lon, lat) = match lonlat.get(i) {
                Some(g) => representative_lonlat(g),
                None => (f64::NAN, f64::NAN),
            };
            evaluate_site(&input.rules, &site, &hits)
                .into_iter()
                .map(|hit| {
                    let zone_ref = hit.zone.and_then(|z| {
                        let k = hits.iter().position(|h| std::ptr::eq(h, z))?;
                        let (zi, pos) = refs[k];
                        Some((&zones[zi], pos))
                    });
                    let finding_id = finding_id_for(
                        &hit.rule_id,
                        (&layer.name, rl.role, &keys[i]),
                        zone_ref.map(|(zl, pos)| {
                            (zl.source.layer.name.as_str(), zl.source.role, &zl.keys[pos])
                        }),
                    );
                    Finding {
                        finding_id,
                        rule_id: hit.rule_id.clone(),
                        severity: hit.severity,
                        site_layer: layer.name.clone(),
                        site_fid: site.fid,
                        site_name: values[i].name().unwrap_or_default().to_string(),
                        zone_layer: hit.zone.map(|z| z.zone_layer.clone()),
                        zone_fid: hit.zone.map(|z| z.zone_fid),
                        zone_name: hit.zone.and_then(|z| z.zone_name.clone()),
                        zone_level: hit.zone.and_then(|z| {
                            zone_ref
                                .and_then(|(zl, pos)| {
                                    zl.values[pos]
                                        .raw(crate::rules::CanonicalField::ZoneLevel)
                                        .map(str::to_string)
                                })
                                .or_else(|| z.level.map(|l| l.label_zh().to_string()))
                        }),
                        distance_m: hit.zone.map(|z| round_cm(z.distance_m)),
                        lon,
                        lat,
                        county: values[i].county().map(str::to_string),
                        status: ReviewStatus::Pending,
                        note: String::new(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(findings)
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

/// The zones of one layer a site is in, on, or near (within `near_m` outside).
fn zone_hits(
    s: &SitesIn,
    zone_layer: usize,
    g: &Geometry<f64>,
    near_m: Option<f64>,
    scratch: &mut Vec<crate::engine::ZoneMatch>,
    hits: &mut Vec<ZoneHit>,
    refs: &mut Vec<(usize, usize)>,
) {
    let z = s.zone;
    let index: &ZoneIndex = &z.indexed.index;
    let matches =
        crate::engine::matches_for_site(index, g, crate::engine::Predicate::Intersects, scratch);
    let probe = match g {
        Geometry::Point(p) => Some(p.0),
        _ => None,
    };
    let mut push = |zone: u32, location: ZoneRelation, distance_m: f64| {
        let fid = index.zone_fid(zone);
        let Some(pos) = feature_position(&z.source.layer, fid) else {
            return;
        };
        refs.push((zone_layer, pos));
        hits.push(ZoneHit::from_zone_values(
            &z.source.layer.name,
            fid,
            z.source.role,
            &z.values[pos],
            location,
            distance_m,
        ));
    };
    for m in &matches {
        let (loc, d) = match (m.location, probe) {
            (Location::OnBoundary, _) => (ZoneRelation::OnBoundary, 0.0),
            (_, Some(p)) => (ZoneRelation::Inside, -metric_distance(s, m.zone, p)),
            (_, None) => (ZoneRelation::Inside, 0.0),
        };
        push(m.zone, loc, d);
    }
    if let (Some(near), Some(p)) = (near_m, probe) {
        let radius = near / z.indexed.crs.metres_per_unit();
        for zone in index.zones_near(p, radius) {
            if matches.iter().any(|m| m.zone == zone) {
                continue;
            }
            let d = metric_distance(s, zone, p);
            if d <= near {
                push(zone, ZoneRelation::Outside, d);
            }
        }
    }
}

/// Metric distance from `p` (zone CRS) to the zone's boundary: in the zone's CRS if
/// projected, else in the CGCS2000 3-degree Gauss-Kruger zone of the site.
fn metric_distance(s: &SitesIn, zone: u32, p: Coord<f64>) -> f64 {
    let index = &s.zone.indexed.index;
    if !s.geographic {
        return index.nearest_boundary(zone, p, 1.0).0 * s.zone.indexed.crs.metres_per_unit();
    }
    let (_, q) = index.nearest_boundary(zone, p, p.y.to_radians().cos());
    let gk = Crs::gk3_for_lon(p.x);
    match Transform::new(&s.zone.indexed.crs, &gk) {
        Ok(t) => match (t.apply(p.x, p.y), t.apply(q.x, q.y)) {
            (Ok(a), Ok(b)) => ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt(),
            _ => f64::NAN,
        },
        Err(_) => f64::NAN,
    }
}
