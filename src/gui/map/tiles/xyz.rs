//! XYZ tile servers (OpenStreetMap, Tianditu, any `{z}/{x}/{y}` URL) fetched over
//! HTTP(S) with `ureq`, and a disk cache beside them so tiles seen once show offline.
//!
//! A template names the tile with `{z}`, `{x}` and `{y}` (`{-y}` for TMS rows) and
//! may spread requests over servers with `{s}`: `a`, `b`, `c` by default, `0`–`7`
//! for Tianditu's `t{s}.tianditu.gov.cn`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{MAX_ZOOM, SourceInfo, TileError, TileId, TileSource};

/// Sent with every request (OpenStreetMap's tile policy asks for an identifying one).
pub const USER_AGENT: &str = "qingling/0.1";
/// A request that takes longer than this fails (the tile is retried later).
const TIMEOUT: Duration = Duration::from_secs(20);
/// Tiles larger than this are refused.
const MAX_TILE_BYTES: u64 = 8 << 20;
/// A cached tile younger than this is used without asking the server.
const FRESH_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// A checked URL template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    text: String,
    subdomains: Vec<String>,
}

impl Template {
    /// Check `text`: an http(s) URL with `{z}`, `{x}` and `{y}` (or `{-y}`) and no
    /// other placeholder left to fill in (such as Tianditu's `{tk}`).
    pub fn parse(text: &str) -> Result<Template, TileError> {
        let text = text.trim();
        let bad = |problem: &str| TileError::BadTemplate {
            template: text.to_owned(),
            problem: problem.to_owned(),
        };
        let lower = text.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(bad("it must start with http:// or https://"));
        }
        if !text.contains("{z}")
            || !text.contains("{x}")
            || !(text.contains("{y}") || text.contains("{-y}"))
        {
            return Err(bad("it must contain {z}, {x} and {y}"));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(bad("a { has no closing }"));
            };
            let name = &after[..close];
            if !matches!(name, "z" | "x" | "y" | "-y" | "s") {
                return Err(bad(&format!(
                    "{{{name}}} is not filled in (replace it, e.g. with your key)"
                )));
            }
            rest = &after[close + 1..];
        }
        let subdomains = if !text.contains("{s}") {
            Vec::new()
        } else if lower.contains("tianditu") {
            (0..8).map(|i| i.to_string()).collect()
        } else {
            ["a", "b", "c"].map(String::from).to_vec()
        };
        Ok(Template {
            text: text.to_owned(),
            subdomains,
        })
    }

    /// The URL of a tile. The server for `{s}` is chosen from the tile's address, so
    /// a tile always comes from the same one (and its HTTP cache).
    pub fn url(&self, t: TileId) -> String {
        let mut url = self
            .text
            .replace("{z}", &t.z.to_string())
            .replace("{x}", &t.x.to_string())
            .replace("{-y}", &t.tms_y().to_string())
            .replace("{y}", &t.y.to_string());
        if !self.subdomains.is_empty() {
            let i = (t.x as usize + t.y as usize) % self.subdomains.len();
            url = url.replace("{s}", &self.subdomains[i]);
        }
        url
    }

    /// The server's host name as written (with `{s}` if any), for messages.
    pub fn host(&self) -> String {
        let after_scheme = self.text.split("://").nth(1).unwrap_or(&self.text);
        after_scheme
            .split(['/', '?'])
            .next()
            .unwrap_or(after_scheme)
            .to_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The credit a well-known server asks for; else its host name.
pub fn attribution_for(template: &Template) -> String {
    let host = template.host().to_ascii_lowercase();
    if host.contains("openstreetmap") {
        "© OpenStreetMap contributors".into()
    } else if host.contains("tianditu") {
        "© 天地图 国家地理信息公共服务平台".into()
    } else {
        template.host()
    }
}

/// The deepest level a well-known server has.
fn max_zoom_for(template: &Template) -> u8 {
    let host = template.host().to_ascii_lowercase();
    if host.contains("tianditu") { 18 } else { 19 }
}

/// Where tiles of a template are kept on disk: `base/<hash of the template>/`.
/// The hash hides a key in the template from the folder name.
pub fn cache_dir_for(base: &Path, template: &Template) -> PathBuf {
    // FNV-1a: stable across runs and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in template.as_str().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    base.join(format!("{h:016x}"))
}

/// The platform's folder for tile caches: `$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows, then `qingling/tiles`.
pub fn default_cache_base() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")?
    } else if cfg!(target_os = "macos") {
        env("HOME")?.join("Library").join("Caches")
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))?
    };
    Some(base.join("qingling").join("tiles"))
}

/// A tile server.
pub struct XyzSource {
    template: Template,
    agent: ureq::Agent,
    /// This template's folder in the disk cache, if there is one.
    cache_dir: Option<PathBuf>,
    info: SourceInfo,
}

impl XyzSource {
    /// A source for `template`, caching tiles under `cache_base` (see
    /// [`default_cache_base`]); `None` keeps no disk cache.
    pub fn new(template: &str, cache_base: Option<&Path>) -> Result<XyzSource, TileError> {
        let template = Template::parse(template)?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .build();
        let info = SourceInfo {
            name: template.host(),
            min_zoom: 0,
            max_zoom: max_zoom_for(&template).min(MAX_ZOOM),
            bounds: None,
            attribution: Some(attribution_for(&template)),
        };
        Ok(XyzSource {
            cache_dir: cache_base.map(|b| cache_dir_for(b, &template)),
            agent: ureq::Agent::new_with_config(config),
            template,
            info,
        })
    }

    fn cache_path(&self, t: TileId) -> Option<PathBuf> {
        Some(
            self.cache_dir
                .as_ref()?
                .join(t.z.to_string())
                .join(t.x.to_string())
                .join(format!("{}.tile", t.y)),
        )
    }

    /// Ask the server. `Ok(None)` for "no tile here" (404, 204).
    fn download(&self, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let host = self.template.host();
        let net = |e: ureq::Error| TileError::Network {
            host: host.clone(),
            message: e.to_string(),
        };
        let mut resp = self.agent.get(&self.template.url(t)).call().map_err(net)?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            204 | 404 => return Ok(None),
            _ => {
                return Err(TileError::Http {
                    host: host.clone(),
                    status,
                });
            }
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_TILE_BYTES)
            .read_to_vec()
            .map_err(net)?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }
}

/// Write `bytes` to `path` through a temporary file, so a reader never sees half a
/// tile. Failing to cache is not an error worth showing: the tile is on screen.
fn store(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

impl TileSource for XyzSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch(&self, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let cached = self.cache_path(t).and_then(|p| {
            let meta = std::fs::metadata(&p).ok()?;
            let age = meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .unwrap_or_default();
            Some((p, age))
        });
        if let Some((p, age)) = &cached
            && *age < FRESH_FOR
            && let Ok(bytes) = std::fs::read(p)
        {
            return Ok(Some(bytes));
        }
        match self.download(t) {
            Ok(Some(bytes)) => {
                if let Some(p) = self.cache_path(t) {
                    store(&p, &bytes);
                }
                Ok(Some(bytes))
            }
            Ok(None) => Ok(None),
            // Offline or refused: an old copy is better than nothing.
            Err(e) => match cached.and_then(|(p, _)| std::fs::read(p).ok()) {
                Some(bytes) => Ok(Some(bytes)),
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::map::tiles::test_png::solid_png;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    #[test]
    fn templates_expand_to_tile_urls() {
        let osm = Template::parse("https://tile.openstreetmap.org/{z}/{x}/{y}.png").unwrap();
        let t = TileId::new(10, 832, 395).unwrap();
        assert_eq!(osm.url(t), "https://tile.openstreetmap.org/10/832/395.png");
        assert_eq!(osm.host(), "tile.openstreetmap.org");
        assert_eq!(attribution_for(&osm), "© OpenStreetMap contributors");

        let tms = Template::parse("http://example.com/{z}/{x}/{-y}.jpg").unwrap();
        assert_eq!(tms.url(t), "http://example.com/10/832/628.jpg");

        let abc = Template::parse("https://{s}.tile.example.org/{z}/{x}/{y}.png").unwrap();
        let servers: std::collections::BTreeSet<String> = (0..6)
            .map(|x| abc.url(TileId::new(3, x, 0).unwrap())[8..9].to_owned())
            .collect();
        assert_eq!(servers.into_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn tianditu_templates_use_servers_zero_to_seven() {
        let text = "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abc123";
        let tdt = Template::parse(text).unwrap();
        let url = tdt.url(TileId::new(12, 3329, 1550).unwrap());
        assert!(url.starts_with("https://t7.tianditu.gov.cn/"), "{url}");
        assert!(url.contains("TILEMATRIX=12&TILEROW=1550&TILECOL=3329&tk=abc123"));
        let servers: std::collections::BTreeSet<String> = (0..16)
            .map(|x| tdt.url(TileId::new(5, x, 0).unwrap())[9..10].to_owned())
            .collect();
        assert_eq!(servers.len(), 8);
        assert!(attribution_for(&tdt).contains("天地图"));
        assert_eq!(max_zoom_for(&tdt), 18);
    }

    #[test]
    fn unusable_templates_are_refused_with_the_reason() {
        for (text, why) in [
            ("tile.openstreetmap.org/{z}/{x}/{y}.png", "http"),
            ("https://a.b/{z}/{x}.png", "{z}, {x} and {y}"),
            (
                "https://t0.tianditu.gov.cn/x?z={z}&x={x}&y={y}&tk={tk}",
                "{tk}",
            ),
            ("https://a.b/{z}/{x}/{y}/{s", "closing"),
        ] {
            let err = Template::parse(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn cache_folders_differ_by_template_and_hide_keys() {
        let base = Path::new("/cache");
        let a = Template::parse("https://x.org/{z}/{x}/{y}.png?tk=SECRET").unwrap();
        let b = Template::parse("https://x.org/{z}/{x}/{y}.png?tk=OTHER").unwrap();
        let da = cache_dir_for(base, &a);
        assert_ne!(da, cache_dir_for(base, &b));
        assert_eq!(da, cache_dir_for(base, &a));
        assert!(!da.to_string_lossy().contains("SECRET"));
    }

    /// Serve `responses` (status, body) one connection each on a local port; returns
    /// the base URL and a handle giving the request lines and user agents seen.
    fn serve(
        responses: Vec<(u16, Vec<u8>)>,
    ) -> (String, std::thread::JoinHandle<Vec<(String, String)>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, body) in responses {
                let (mut stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                let mut agent = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                        agent = v.trim().to_owned();
                    }
                }
                seen.push((request.trim().to_owned(), agent));
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .unwrap();
                stream.write_all(&body).unwrap();
            }
            seen
        });
        (base, handle)
    }

    #[test]
    fn tiles_are_downloaded_once_then_read_from_the_disk_cache() {
        let png = solid_png(8, [0, 128, 0, 255]);
        let (base, server) = serve(vec![(200, png.clone()), (404, Vec::new())]);
        let cache = tempfile::tempdir().unwrap();
        let src =
            XyzSource::new(&format!("{base}/{{z}}/{{x}}/{{y}}.png"), Some(cache.path())).unwrap();
        let t = TileId::new(5, 26, 12).unwrap();
        assert_eq!(src.fetch(t).unwrap(), Some(png.clone()));
        // From the disk cache: the server is not asked again.
        assert_eq!(src.fetch(t).unwrap(), Some(png.clone()));
        assert_eq!(
            src.fetch(TileId::new(5, 0, 0).unwrap()).unwrap(),
            None,
            "404"
        );
        let seen = server.join().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].0, "GET /5/26/12.png HTTP/1.1");
        assert_eq!(seen[0].1, "qingling/0.1");

        // Offline (nothing listens on the port any more): the cached tile still shows.
        let again =
            XyzSource::new(&format!("{base}/{{z}}/{{x}}/{{y}}.png"), Some(cache.path())).unwrap();
        assert_eq!(again.fetch(t).unwrap(), Some(png));
        let err = again.fetch(TileId::new(5, 1, 1).unwrap()).unwrap_err();
        assert!(matches!(err, TileError::Network { .. }), "{err}");
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }

    #[test]
    fn a_refused_key_reports_the_status_and_what_to_check() {
        let (base, server) = serve(vec![(403, b"bad key".to_vec())]);
        let src = XyzSource::new(&format!("{base}/{{z}}/{{x}}/{{y}}?tk=wrong"), None).unwrap();
        let err = src
            .fetch(TileId::new(1, 0, 0).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("HTTP 403") && err.contains("key"), "{err}");
        server.join().unwrap();
    }
}
