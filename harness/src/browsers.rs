//! The three browsers: how to start their drivers, the capabilities that
//! point them at the harness's proxy, and where each tells why it refused.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::webdriver::Session;

/// A browser the harness drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Debian's `chromium` with `chromium-driver`.
    Chromium,
    /// Debian's `firefox-esr` with `geckodriver` (`cargo install geckodriver`).
    Firefox,
    /// Debian's `webkit2gtk-driver` (MiniBrowser) under `xvfb-run`.
    Webkit,
}

/// WebKitGTK's MiniBrowser as Debian installs it.
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

impl Browser {
    /// By profile name.
    pub fn by_name(name: &str) -> Option<Browser> {
        match name {
            "chromium" => Some(Browser::Chromium),
            "firefox" => Some(Browser::Firefox),
            "webkit" => Some(Browser::Webkit),
            _ => None,
        }
    }

    /// The profile name.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
            Browser::Webkit => "webkit",
        }
    }

    /// The browser's version, as its package or binary tells it.
    pub fn version(self) -> String {
        let out = match self {
            Browser::Chromium => Command::new("chromium").arg("--version").output(),
            Browser::Firefox => Command::new("firefox-esr").arg("--version").output(),
            Browser::Webkit => Command::new("dpkg-query")
                .args(["-W", "-f", "WebKitGTK ${Version}", "libwebkit2gtk-4.1-0"])
                .output(),
        };
        out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    /// The driver program and its arguments.
    pub fn driver_command(self, port: u16) -> (String, Vec<String>) {
        match self {
            Browser::Chromium => ("chromedriver".into(), vec![format!("--port={port}")]),
            Browser::Firefox => {
                let gecko = std::env::var("GECKODRIVER").unwrap_or_else(|_| {
                    let home = std::env::var("HOME").unwrap_or_default();
                    let cargo = format!("{home}/.cargo/bin/geckodriver");
                    if Path::new(&cargo).exists() {
                        cargo
                    } else {
                        "geckodriver".into()
                    }
                });
                (
                    gecko,
                    vec![
                        "--port".into(),
                        port.to_string(),
                        "--allow-system-access".into(),
                    ],
                )
            }
            Browser::Webkit => (
                "xvfb-run".into(),
                vec![
                    "-a".into(),
                    "WebKitWebDriver".into(),
                    format!("--port={port}"),
                ],
            ),
        }
    }

    /// Environment for the driver (and the browser it starts).
    pub fn driver_env(self, proxy_port: u16) -> Vec<(String, String)> {
        match self {
            // GLib's proxy resolver reads these; the driver's own
            // connection to the browser (127.0.0.1) must not be proxied.
            Browser::Webkit => {
                let p = format!("http://127.0.0.1:{proxy_port}");
                vec![
                    ("http_proxy".into(), p.clone()),
                    ("https_proxy".into(), p),
                    ("no_proxy".into(), "127.0.0.1,localhost".into()),
                ]
            }
            _ => Vec::new(),
        }
    }

    /// Capabilities for a new session whose proxy is the harness server.
    pub fn capabilities(self, proxy_port: u16, profile_dir: &Path) -> Value {
        let proxy = format!("127.0.0.1:{proxy_port}");
        match self {
            Browser::Chromium => json!({
                "browserName": "chrome",
                "acceptInsecureCerts": true,
                "goog:loggingPrefs": {"performance": "ALL"},
                "goog:chromeOptions": {
                    "binary": "/usr/lib/chromium/chromium",
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--ignore-certificate-errors",
                        format!("--proxy-server=http://{proxy}"),
                        "--proxy-bypass-list=<-loopback>",
                        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LocalNetworkAccessChecks",
                        format!("--user-data-dir={}", profile_dir.display()),
                    ],
                    "perfLoggingPrefs": {"enableNetwork": true, "enablePage": false},
                },
            }),
            Browser::Firefox => json!({
                "browserName": "firefox",
                "acceptInsecureCerts": true,
                "moz:firefoxOptions": {
                    "binary": "/usr/bin/firefox-esr",
                    "args": ["-headless"],
                    "prefs": {
                        "network.proxy.type": 1,
                        "network.proxy.http": "127.0.0.1",
                        "network.proxy.http_port": proxy_port,
                        "network.proxy.ssl": "127.0.0.1",
                        "network.proxy.ssl_port": proxy_port,
                        "network.proxy.no_proxies_on": "",
                        "network.proxy.allow_hijacking_localhost": true,
                        "network.proxy.share_proxy_settings": false,
                        "dom.security.https_first": false,
                        "dom.security.https_first_schemeless": false,
                        "dom.security.https_only_mode": false,
                        "network.lna.enabled": false,
                        "network.lna.blocking": false,
                        "network.http.speculative-parallel-limit": 0,
                        "network.preload": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "network.captive-portal-service.enabled": false,
                        "app.normandy.enabled": false,
                        "toolkit.telemetry.enabled": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                    },
                },
            }),
            Browser::Webkit => json!({
                "browserName": "MiniBrowser",
                "acceptInsecureCerts": true,
                "webkitgtk:browserOptions": {
                    "binary": MINIBROWSER,
                    "args": ["--automation", "--enable-write-console-messages-to-stdout=true"],
                },
                // No `proxy` capability: WebKitGTK speaks TLS to an
                // `sslProxy`, and refuses the proxy's self-signed
                // certificate. The driver's environment sets the proxy
                // instead (see `driver_env`).
            }),
        }
    }

    /// Clears what [`Browser::reason`] reads, before a fetch.
    pub fn before_fetch(self, session: &Session<'_>) {
        match self {
            Browser::Chromium => {
                let _ = session.cmd("POST", "se/log", Some(&json!({"type": "performance"})));
            }
            Browser::Firefox => {
                let _ = chrome_script(session, "Services.console.reset(); return null;");
            }
            Browser::Webkit => {}
        }
    }

    /// The browser's own reason for the last refusal, where it tells one:
    /// Chromium's `corsErrorStatus` (DevTools `Network.loadingFailed`),
    /// Firefox's console message.
    pub fn reason(self, session: &Session<'_>) -> Option<String> {
        match self {
            Browser::Chromium => {
                let log = session
                    .cmd("POST", "se/log", Some(&json!({"type": "performance"})))
                    .ok()?;
                let mut found = None;
                for entry in log.as_array()? {
                    let Some(msg) = entry.get("message").and_then(Value::as_str) else {
                        continue;
                    };
                    let Ok(m) = serde_json::from_str::<Value>(msg) else {
                        continue;
                    };
                    let m = &m["message"];
                    if m["method"] != "Network.loadingFailed" {
                        continue;
                    }
                    let p = &m["params"];
                    if let Some(e) = p["corsErrorStatus"]["corsError"].as_str() {
                        found = Some(e.to_owned());
                    } else if found.is_none() {
                        found = p["errorText"].as_str().map(str::to_owned);
                    }
                }
                found
            }
            Browser::Firefox => {
                let v = chrome_script(
                    session,
                    "return Services.console.getMessageArray().map(m => m.message || String(m)).filter(m => /Cross-Origin|CORS/.test(m));",
                )?;
                let msgs: Vec<&str> = v.as_array()?.iter().filter_map(Value::as_str).collect();
                // Keep the sentence after "(Reason: ", Firefox's reason.
                msgs.last().map(|m| match m.split_once("(Reason: ") {
                    Some((_, r)) => r.rsplit_once(')').map_or(r, |(r, _)| r).to_owned(),
                    None => (*m).to_owned(),
                })
            }
            Browser::Webkit => None,
        }
    }
}

/// Runs a script in Firefox's chrome context, then returns to content.
fn chrome_script(session: &Session<'_>, script: &str) -> Option<Value> {
    session
        .cmd("POST", "moz/context", Some(&json!({"context": "chrome"})))
        .ok()?;
    let v = session.cmd(
        "POST",
        "execute/sync",
        Some(&json!({"script": script, "args": []})),
    );
    let _ = session.cmd("POST", "moz/context", Some(&json!({"context": "content"})));
    v.ok()
}
