//! Damaged `.shp`/`.shx` files and bad geometry.

use geo_types::coord;
use qingling::io::shp::ShapeType;
use qingling::io::shp_write::{ShapeRecord, write_shapes};
use qingling::model::{Geometry, ProblemLevel};

use super::*;

#[test]
fn a_shp_shorter_than_its_header_is_refused_naming_the_file() {
    let d = tmp();
    let shp = write_points(d.path(), "断点", 3);
    truncate(&shp, 60);
    let (_, msg) = load_err(&shp);
    assert_names(&msg, &shp, "shorter than the 100-byte header");
}

#[test]
fn a_file_that_is_not_a_shapefile_is_refused() {
    let d = tmp();
    let shp = write_points(d.path(), "假文件", 3);
    patch(&shp, 0, &1234i32.to_be_bytes());
    let (_, msg) = load_err(&shp);
    assert_names(&msg, &shp, "the file code is 1234, not 9994");
}

#[test]
fn an_unknown_shape_type_in_the_header_is_refused() {
    let d = tmp();
    let shp = write_points(d.path(), "类型", 3);
    patch(&shp, 32, &99i32.to_le_bytes());
    let (_, msg) = load_err(&shp);
    assert_names(&msg, &shp, "unknown shape type 99");
}

#[test]
fn a_shp_cut_inside_a_record_keeps_the_records_before_it() {
    let d = tmp();
    let shp = write_points(d.path(), "截断", 5);
    truncate(&shp, point_record_at(4) + 15);
    let layer = load(&shp);
    assert_eq!(layer.features.len(), 5);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3]);
    assert_problem(
        &layer,
        4,
        ProblemLevel::Error,
        "truncated: it ends inside record 4",
    );
    // The attributes of every record are still there.
    assert_eq!(layer.features[4].attrs[0], Value::Text("站点4".into()));
}

#[test]
fn a_record_whose_length_runs_past_the_end_is_lost_and_the_shx_finds_the_next() {
    let d = tmp();
    let shp = write_points(d.path(), "越界", 5);
    // Record 2 declares 20000 words of content.
    patch(&shp, point_record_at(2) + 4, &20_000i32.to_be_bytes());
    let layer = load(&shp);
    assert_eq!(layer.features.len(), 5);
    assert_eq!(with_geometry(&layer), vec![0, 1, 3, 4]);
    assert_problem(
        &layer,
        2,
        ProblemLevel::Error,
        "declares 40000 bytes but the file ends",
    );
}

#[test]
fn a_record_whose_length_runs_past_the_end_is_skipped_by_scanning_without_a_shx() {
    let d = tmp();
    let shp = write_points(d.path(), "越界无索引", 5);
    std::fs::remove_file(sibling(&shp, "shx")).unwrap();
    patch(&shp, point_record_at(2) + 4, &20_000i32.to_be_bytes());
    let layer = load(&shp);
    assert_eq!(layer.features.len(), 5);
    assert_eq!(with_geometry(&layer), vec![0, 1, 3, 4]);
    assert_problem(&layer, 2, ProblemLevel::Error, "declares 40000 bytes");
}

#[test]
fn a_wrong_record_number_is_reported_and_reading_goes_on() {
    let d = tmp();
    let shp = write_points(d.path(), "编号错", 5);
    std::fs::remove_file(sibling(&shp, "shx")).unwrap();
    patch(&shp, point_record_at(3), &77i32.to_be_bytes());
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 4]);
    assert_problem(
        &layer,
        3,
        ProblemLevel::Error,
        "expected record number 4 at byte 184 but found 77",
    );
}

#[test]
fn a_shx_whose_offsets_disagree_with_the_shp_is_reported_and_ignored() {
    let d = tmp();
    let shp = write_points(d.path(), "索引错", 5);
    let shx = sibling(&shp, "shx");
    // Entry 2 points 10 words too far.
    let wrong = ((point_record_at(2) / 2) as i32 + 10).to_be_bytes();
    patch(&shx, 100 + 8 * 2, &wrong);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3, 4]);
    let p = assert_problem(&layer, 2, ProblemLevel::Warning, "the .shx index disagrees");
    assert!(p.file.ends_with("索引错.shx"), "{p}");
}

#[test]
fn a_truncated_shx_is_reported_and_every_record_is_read_from_the_shp() {
    let d = tmp();
    let shp = write_points(d.path(), "索引截断", 5);
    truncate(&sibling(&shp, "shx"), 100 + 8 * 2);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3, 4]);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "the .shx lists 2 records but the .shp holds 5",
    );
}

#[test]
fn a_shx_with_a_garbage_header_is_ignored_with_a_warning() {
    let d = tmp();
    let shp = write_points(d.path(), "索引坏", 4);
    std::fs::write(sibling(&shp, "shx"), b"not an index at all").unwrap();
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3]);
    assert_file_problem(&layer, ProblemLevel::Warning, "the .shx index is damaged");
}

#[test]
fn headers_claiming_billions_of_records_points_and_parts_cost_nothing() {
    // The .shp file length, a .shx entry, a record's point count and a .dbf record
    // count all claim billions. Every count is checked against the bytes present
    // before anything is allocated for it (`locate_records` reserves at most
    // file_len / 12 slots, `read_dbf` reads min(declared, body / record_len) rows,
    // `parse_poly` checks parts * 4 + points * 16 against the record's bytes), so the
    // read takes milliseconds and memory in proportion to the file, not the claim.
    let d = tmp();
    let shp = write_points(d.path(), "十亿", 5);
    patch(&shp, 24, &i32::MAX.to_be_bytes()); // file length in words
    patch(&sibling(&shp, "dbf"), 4, &4_000_000_000u32.to_le_bytes());
    let multi = d.path().join("十亿点.shp");
    let pts = vec![coord! { x: 112.5, y: 37.8 }, coord! { x: 112.6, y: 37.9 }];
    write_shapes(
        &multi,
        ShapeType::MultiPoint,
        &[
            ShapeRecord::MultiPoint(pts.clone()),
            ShapeRecord::MultiPoint(pts),
        ],
        &fields(),
        &rows(2),
        &shp_opts(),
    )
    .unwrap();
    // Record 0's point count (at content offset 36) claims i32::MAX points.
    patch(&multi, 100 + 8 + 36, &i32::MAX.to_le_bytes());
    let poly = d.path().join("十亿环.shp");
    let ring = vec![
        coord! { x: 0.0, y: 0.0 },
        coord! { x: 0.0, y: 1.0 },
        coord! { x: 1.0, y: 1.0 },
        coord! { x: 0.0, y: 0.0 },
    ];
    write_shapes(
        &poly,
        ShapeType::Polygon,
        &[ShapeRecord::Parts(vec![ring])],
        &fields(),
        &rows(1),
        &shp_opts(),
    )
    .unwrap();
    patch(&poly, 100 + 8 + 36, &1_000_000_000i32.to_le_bytes()); // parts
    let (a, b, c) = (shp.clone(), multi.clone(), poly.clone());
    let (layer, multi_layer, poly_layer) = within_secs(5, move || (load(&a), load(&b), load(&c)));

    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3, 4]);
    assert_file_problem(
        &layer,
        ProblemLevel::Error,
        "the .dbf header declares 4000000000 records but the file holds only 5",
    );
    assert_eq!(with_geometry(&multi_layer), vec![1]);
    assert_problem(
        &multi_layer,
        0,
        ProblemLevel::Error,
        "declares 2147483647 points but holds room for 2",
    );
    assert!(with_geometry(&poly_layer).is_empty());
    assert_problem(
        &poly_layer,
        0,
        ProblemLevel::Error,
        "declares 1000000000 parts and 4 points, more than its",
    );
}

#[test]
fn nan_and_infinite_coordinates_cost_only_their_record() {
    let d = tmp();
    let shp = write_points(d.path(), "非数", 4);
    patch(&shp, point_record_at(1) + 12, &f64::NAN.to_le_bytes());
    patch(&shp, point_record_at(3) + 20, &f64::INFINITY.to_le_bytes());
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 2]);
    assert_problem(
        &layer,
        1,
        ProblemLevel::Error,
        "invalid coordinate (NaN, 37.8)",
    );
    assert_problem(&layer, 3, ProblemLevel::Error, "invalid coordinate");
}

fn write_polygons(dir: &Path, stem: &str, shapes: &[ShapeRecord]) -> PathBuf {
    let shp = dir.join(format!("{stem}.shp"));
    write_shapes(
        &shp,
        ShapeType::Polygon,
        shapes,
        &fields(),
        &rows(shapes.len()),
        &shp_opts(),
    )
    .unwrap();
    shp
}

/// A clockwise unit square at (x, 37).
fn square(x: f64) -> Vec<geo_types::Coord<f64>> {
    vec![
        coord! { x: x, y: 37.0 },
        coord! { x: x, y: 37.1 },
        coord! { x: x + 0.1, y: 37.1 },
        coord! { x: x + 0.1, y: 37.0 },
        coord! { x: x, y: 37.0 },
    ]
}

#[test]
fn infinite_polygon_coordinates_cost_only_their_record() {
    let d = tmp();
    let mut bad = square(112.2);
    bad[2].x = f64::INFINITY;
    let shp = write_polygons(
        d.path(),
        "无穷",
        &[
            ShapeRecord::Parts(vec![square(112.0)]),
            ShapeRecord::Parts(vec![bad]),
        ],
    );
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0]);
    assert_problem(
        &layer,
        1,
        ProblemLevel::Error,
        "NaN or infinite coordinates",
    );
}

#[test]
fn a_ring_with_fewer_than_four_points_is_skipped_and_reported() {
    let d = tmp();
    let short = vec![
        coord! { x: 112.0, y: 37.0 },
        coord! { x: 112.0, y: 37.1 },
        coord! { x: 112.0, y: 37.0 },
    ];
    let shp = write_polygons(
        d.path(),
        "三点环",
        &[
            ShapeRecord::Parts(vec![short]),
            ShapeRecord::Parts(vec![square(112.2)]),
        ],
    );
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![1]);
    assert_problem(&layer, 0, ProblemLevel::Error, "ring 0 has only 3 points");
}

#[test]
fn an_unclosed_ring_is_closed_with_a_warning() {
    let d = tmp();
    let mut open = square(112.0);
    open.pop();
    let shp = write_polygons(d.path(), "未闭合", &[ShapeRecord::Parts(vec![open])]);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0]);
    assert_problem(
        &layer,
        0,
        ProblemLevel::Warning,
        "ring 0 was not closed; it was closed",
    );
    let Some(Geometry::Polygon(p)) = &layer.features[0].geometry else {
        panic!("a polygon expected");
    };
    assert_eq!(p.exterior().0.len(), 5);
}

#[test]
fn a_self_intersecting_ring_is_kept_with_a_warning_naming_where_it_crosses() {
    let d = tmp();
    // A bow tie: (0,0) (0,1) (1,0) (1,1) crosses itself at (0.5, 0.5).
    let bowtie = vec![
        coord! { x: 112.0, y: 37.0 },
        coord! { x: 112.0, y: 37.2 },
        coord! { x: 112.2, y: 37.0 },
        coord! { x: 112.2, y: 37.2 },
        coord! { x: 112.0, y: 37.0 },
    ];
    let shp = write_polygons(
        d.path(),
        "自相交",
        &[
            ShapeRecord::Parts(vec![square(111.5)]),
            ShapeRecord::Parts(vec![bowtie]),
        ],
    );
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1]);
    let p = assert_problem(
        &layer,
        1,
        ProblemLevel::Warning,
        "crosses itself near (112.1, 37.1)",
    );
    assert!(
        p.hint.as_deref().unwrap_or("").contains("Fix geometries"),
        "{p}"
    );
    assert!(problems_at(&layer, 0, "crosses itself").is_empty());
}

#[test]
fn a_part_index_out_of_range_costs_only_its_record() {
    let d = tmp();
    let shp = write_polygons(
        d.path(),
        "部件",
        &[
            ShapeRecord::Parts(vec![square(112.0), square(112.5)]),
            ShapeRecord::Parts(vec![square(113.0)]),
        ],
    );
    // Record 0's second part starts at point 99 of 10 (parts at content offset 44).
    patch(&shp, 100 + 8 + 44 + 4, &99i32.to_le_bytes());
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![1]);
    assert_problem(&layer, 0, ProblemLevel::Error, "part 1 starts at point 99");
}

#[test]
fn a_record_of_the_wrong_shape_type_costs_only_its_record() {
    let d = tmp();
    let shp = write_points(d.path(), "混型", 3);
    patch(&shp, point_record_at(1) + 8, &5i32.to_le_bytes());
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 2]);
    assert_problem(
        &layer,
        1,
        ProblemLevel::Error,
        "shape type is 5 (Polygon) but the file holds Point",
    );
}

#[test]
fn a_garbage_prj_is_reported_and_the_crs_is_detected_from_the_coordinates() {
    let d = tmp();
    let shp = write_points(d.path(), "坏投影", 3);
    std::fs::write(sibling(&shp, "prj"), "这不是投影 \u{0}\u{1} garbage[[[").unwrap();
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert_file_problem(&layer, ProblemLevel::Error, "the .prj could not be used");
    assert!(
        layer.crs.crs.as_ref().is_some_and(|c| c.geographic),
        "{:?}",
        layer.crs
    );
}

#[test]
fn an_unsupported_projection_in_the_prj_is_reported() {
    let d = tmp();
    let shp = write_points(d.path(), "怪投影", 2);
    std::fs::write(
        sibling(&shp, "prj"),
        r#"PROJCS["Odd",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Space_Oblique_Mercator_Unheard_Of"],PARAMETER["False_Easting",0.0],UNIT["Meter",1.0]]"#,
    )
    .unwrap();
    let layer = load(&shp);
    assert_eq!(layer.features.len(), 2);
    assert_file_problem(&layer, ProblemLevel::Error, "the .prj could not be used");
}
