//! The bundled sample data (sample-data/) built into the binary, so that
//! `qingling demo` works from a lone `qingling.exe` with no folder beside it.

use std::path::Path;

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../sample-data/", $name)))),*]
    };
}

/// Every file of sample-data/ as (file name, bytes).
pub(crate) const FILES: &[(&str, &[u8])] = embed![
    "README.md",
    "入河排污口.csv",
    "建成区.geojson",
    "散乱污企业.dbf",
    "散乱污企业.shp",
    "散乱污企业.shx",
    "水源保护区.cpg",
    "水源保护区.dbf",
    "水源保护区.prj",
    "水源保护区.shp",
    "水源保护区.shx",
    "禁煤区.geojson",
    "锅炉台账.xlsx",
];

/// Writes the built-in sample data into `dir` (created if missing).
pub(crate) fn write_to(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in FILES {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")
    }

    #[test]
    fn every_sample_file_is_built_in() {
        let mut on_disk: Vec<String> = std::fs::read_dir(source_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        built_in.sort();
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn written_files_are_the_sample_files_byte_for_byte() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("样例 数据");
        write_to(&dir).unwrap();
        for (name, _) in FILES {
            let want = std::fs::read(source_dir().join(name)).unwrap();
            let got = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }
}
