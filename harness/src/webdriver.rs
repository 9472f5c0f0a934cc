//! A small WebDriver client: the driver process, its sessions, and the
//! few commands the harness needs. Plain HTTP/1.1 over loopback, one
//! connection a command, every read and write under a timeout.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A free loopback port (bound, then released).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A driver process; killed (with its whole process group) on drop.
pub struct Driver {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Driver {
    /// Starts `program args…` in its own process group and waits until its
    /// `/status` answers.
    pub fn start(
        program: &str,
        args: &[String],
        env: &[(String, String)],
        port: u16,
        log: &std::path::Path,
    ) -> io::Result<Driver> {
        let out = std::fs::File::create(log)?;
        let err = out.try_clone()?;
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()?;
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(v) = driver.call("GET", "/status", None, Duration::from_secs(2)) {
                if v.get("ready").and_then(Value::as_bool) != Some(false) {
                    return Ok(driver);
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "{program} did not answer /status in 30 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One command; the `value` of the answer, or an error with the
    /// driver's message.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> io::Result<Value> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port))?;
        conn.set_read_timeout(Some(timeout))?;
        conn.set_write_timeout(Some(timeout))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        conn.write_all(req.as_bytes())?;
        let (head, body) = read_response(&mut conn)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| {
            io::Error::other(format!("driver answered {head:?} with non-JSON: {e}"))
        })?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if let Some(err) = value.get("error").and_then(Value::as_str) {
            let msg = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(io::Error::other(format!("{err}: {msg}")));
        }
        Ok(value)
    }
}

/// Reads one HTTP response: its head and its body (by `Content-Length`,
/// chunked, or up to the end of the stream).
fn read_response(conn: &mut TcpStream) -> io::Result<(String, String)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    let mut head_end = None;
    loop {
        if head_end.is_none() {
            head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
        }
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let chunked = head.contains("transfer-encoding: chunked");
            let have = raw.len() - end;
            let complete = match len {
                Some(n) => have >= n,
                None => chunked && raw.ends_with(b"0\r\n\r\n"),
            };
            if complete {
                break;
            }
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > 64 << 20 {
            return Err(io::Error::other("driver answer over 64 MiB"));
        }
    }
    let end = head_end.unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let rest = String::from_utf8_lossy(&raw[end..]).into_owned();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&rest)
    } else {
        rest
    };
    Ok((head, body))
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pgid = self.child.id();
        for sig in ["-TERM", "-KILL"] {
            let _ = Command::new("kill")
                .args([sig, "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(200));
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A session of a driver.
pub struct Session<'d> {
    /// Its driver.
    pub driver: &'d Driver,
    /// Its id.
    pub id: String,
}

impl<'d> Session<'d> {
    /// Opens a session with these capabilities.
    pub fn new(driver: &'d Driver, capabilities: &Value) -> io::Result<Session<'d>> {
        let v = driver.call(
            "POST",
            "/session",
            Some(&json!({"capabilities": {"alwaysMatch": capabilities}})),
            Duration::from_secs(60),
        )?;
        let id = v
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| io::Error::other(format!("no session id in {v}")))?
            .to_owned();
        let s = Session { driver, id };
        s.cmd(
            "POST",
            "timeouts",
            Some(&json!({"script": 20000, "pageLoad": 20000})),
        )?;
        Ok(s)
    }

    /// A command on this session (`path` after `/session/{id}/`).
    pub fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> io::Result<Value> {
        let p = if path.is_empty() {
            format!("/session/{}", self.id)
        } else {
            format!("/session/{}/{path}", self.id)
        };
        self.driver.call(method, &p, body, Duration::from_secs(30))
    }

    /// Navigates to `url`.
    pub fn navigate(&self, url: &str) -> io::Result<()> {
        self.cmd("POST", "url", Some(&json!({"url": url})))
            .map(|_| ())
    }

    /// Ends the session.
    pub fn delete(&self) {
        let _ = self.driver.call(
            "DELETE",
            &format!("/session/{}", self.id),
            None,
            Duration::from_secs(15),
        );
    }

    /// Runs an asynchronous script.
    pub fn execute_async(&self, script: &str, args: Value) -> io::Result<Value> {
        self.cmd(
            "POST",
            "execute/async",
            Some(&json!({"script": script, "args": args})),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_that_cannot_start_is_an_error_not_a_hang() {
        let log = std::env::temp_dir().join(format!("harness-test-{}.log", std::process::id()));
        let port = free_port().expect("a free port");
        let started = Instant::now();
        let r = Driver::start("/nonexistent/driver", &[], &[], port, &log);
        assert!(r.is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
        let _ = std::fs::remove_file(log);
    }

    #[test]
    fn a_process_that_never_answers_is_killed_with_its_group() {
        // `sleep` stands in for a driver that hangs: dropping its Driver
        // kills it, with its process group.
        let child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep starts");
        let pid = child.id();
        drop(Driver { child, port: 9 });
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(!alive, "the driver process outlived its Driver");
    }
}
