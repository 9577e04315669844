//! Starting and stopping the systems under test, and the processes of the load generator.

use crate::worker::{Report, WorkerSpec};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

/// A server this run started. Dropping it kills that one process (by its own handle).
pub struct Server {
    pub port: u16,
    pub pid: u32,
    child: Child,
    dir: PathBuf,
    /// How to start it again (dialoghub only): its binary and environment.
    restart: Option<(PathBuf, Vec<(String, String)>)>,
}

/// The moments of one restart, in microseconds on the bench's clock.
pub struct Restarted {
    pub sigterm_us: u64,
    /// The old process had exited.
    pub exited_us: u64,
    /// The new process printed its "listening" line (read by the bench at once).
    pub listening_us: u64,
    pub exit_status: String,
}

impl Server {
    /// Stops the server with SIGTERM (its graceful stop), waits for it to exit,
    /// and starts it again on the same port, folder and store.
    pub fn restart(&mut self) -> Result<Restarted, String> {
        let (bin, env) = self
            .restart
            .clone()
            .ok_or("this server cannot be restarted")?;
        let sigterm_us = crate::util::now_us();
        // By the process's own id: the `kill` utility, as std has no signals.
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .map_err(|e| format!("kill -TERM: {e}"))?;
        if !sent.success() {
            return Err(format!("kill -TERM {}: {sent}", self.pid));
        }
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let exited_us = crate::util::now_us();
        let mut env = env;
        env.retain(|(k, _)| k != "DIALOGHUB_SERVER__PORT" && k != "DIALOGHUB_SERVER__PUBLIC_URL");
        env.push(("DIALOGHUB_SERVER__PORT".into(), self.port.to_string()));
        // Port 0 made the first process's links point at the port it bound.
        env.push((
            "DIALOGHUB_SERVER__PUBLIC_URL".into(),
            format!("http://127.0.0.1:{}", self.port),
        ));
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let (child, port, listening_us) = spawn_dialoghub(&bin, &self.dir, &env)?;
        if port != self.port {
            return Err(format!("restarted on port {port}, not {}", self.port));
        }
        self.pid = child.id();
        self.child = child;
        Ok(Restarted {
            sigterm_us,
            exited_us,
            listening_us,
            exit_status: status.to_string(),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // BENCH_KEEP_LOGS=DIR keeps each server's log (for timing probes in prototypes).
        if let Ok(keep) = std::env::var("BENCH_KEEP_LOGS") {
            for name in ["server.log", "nats.log"] {
                let from = self.dir.join(name);
                if from.exists() {
                    let _ =
                        std::fs::copy(&from, Path::new(&keep).join(format!("{}-{name}", self.pid)));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dialoghub-bench-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Waits for a line `<prefix><port>` on the child's stdout.
fn read_port(child: &mut Child, prefix: &str, log: Option<PathBuf>) -> Result<u16, String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = prefix.to_string();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(p) = line.strip_prefix(&wanted) {
                let _ = tx.send(p.trim().parse::<u16>().ok());
                break;
            }
        }
        // Keep draining so the child never blocks on a full pipe (dialoghub logs to stdout).
        let mut sink = log.and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        for line in lines.map_while(Result::ok) {
            if let Some(f) = sink.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(port)) => Ok(port),
        _ => Err(format!("no '{prefix}N' line within 60 s")),
    }
}

pub const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

pub fn start_dialoghub(bin: &Path, env: &[(&str, String)]) -> Result<Server, String> {
    let dir = scratch_dir("dh");
    let (mut child, port, _) = spawn_dialoghub(bin, &dir, env)?;
    let pid = child.id();
    // Staff sign in: the bench's organizer is an admin made as an operator
    // makes the first one, with the server's own settings.
    let mut admin_env = vec![
        (
            "DIALOGHUB_STORE__URL",
            format!("sqlite://{}/b.db", dir.display()),
        ),
        ("DIALOGHUB_SERVER__DATA_DIR", dir.display().to_string()),
        ("DIALOGHUB_AUTH__SECRET", SECRET.to_string()),
    ];
    // Not the removals (empty values): they are for the server's process only.
    admin_env.extend(env.iter().filter(|(_, v)| !v.is_empty()).cloned());
    match crate::staff::make_admin(bin, &admin_env, port) {
        Ok(()) => Ok(Server {
            port,
            pid,
            child,
            dir,
            restart: Some((
                bin.to_path_buf(),
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )),
        }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("dialoghub did not start: {e}"))
        }
    }
}

/// Starts one dialoghub process in `dir` (its SQLite file and log unless `env`
/// names another store); returns it, its port and when it said it listens.
/// An empty value in `env` removes that variable (back to the server's default).
fn spawn_dialoghub(
    bin: &Path,
    dir: &Path,
    env: &[(&str, String)],
) -> Result<(Child, u16, u64), String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin);
    cmd.env("DIALOGHUB_SERVER__PORT", "0")
        .env("DIALOGHUB_SERVER__HOST", "127.0.0.1")
        .env(
            "DIALOGHUB_STORE__URL",
            format!("sqlite://{}/b.db", dir.display()),
        )
        .env("DIALOGHUB_SERVER__DATA_DIR", dir)
        .env("DIALOGHUB_AUTH__SECRET", SECRET)
        // One node alone: no bus, even when the environment names a Redis.
        .env("DIALOGHUB_BUS__URL", "")
        .env("DIALOGHUB_LIMITS__CONNECTIONS_PER_IP", "100000")
        .env("DIALOGHUB_LIMITS__JOINS_PER_IP_PER_MINUTE", "1000000")
        // One asker sends every question of a scenario: no cap on the pending queue.
        .env(
            "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_PARTICIPANT",
            "1000000",
        )
        .env(
            "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_DIALOGUE",
            "1000000",
        )
        // Per-connection logging would measure the logger, not the server.
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    for (k, v) in env {
        if v.is_empty() && k.starts_with("DIALOGHUB_LIMITS__") {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().map_err(|e| format!("start dialoghub: {e}"))?;
    match read_port(
        &mut child,
        "dialoghub listening on port ",
        Some(dir.join("server.log")),
    ) {
        Ok(port) => Ok((child, port, crate::util::now_us())),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            Err(format!("dialoghub did not start: {e}\n{log}"))
        }
    }
}

/// dialoghub nodes on one PostgreSQL database of their own and the Redis bus.
/// Fields drop in order: the nodes stop before their database is dropped.
pub struct Cluster {
    pub nodes: Vec<Server>,
    _db: Database,
}

/// The PostgreSQL server (`DATABASE_URL`) and Redis (`REDIS_URL`) a cluster needs,
/// or why there are none.
pub fn cluster_urls() -> Result<(String, String), String> {
    let admin = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .ok_or("it needs DATABASE_URL, a PostgreSQL server (postgres://…)")?;
    let redis = std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .ok_or("it needs REDIS_URL")?;
    Ok((admin, redis))
}

/// `nodes` dialoghub processes on a fresh database created on `DATABASE_URL`'s
/// server (with `psql`), hearing of each other's commits over `REDIS_URL`.
pub fn start_cluster(bin: &Path, nodes: usize, env: &[(&str, String)]) -> Result<Cluster, String> {
    let (admin, redis) = cluster_urls()?;
    let db = Database::create(&admin)?;
    let mut env = env.to_vec();
    env.push(("DIALOGHUB_STORE__URL", db.url.clone()));
    env.push(("DIALOGHUB_BUS__URL", redis));
    let nodes = (0..nodes)
        .map(|_| start_dialoghub(bin, &env))
        .collect::<Result<_, _>>()?;
    Ok(Cluster { nodes, _db: db })
}

/// One dialoghub node alone (no bus) on a fresh database created on
/// `DATABASE_URL`'s server.
pub fn start_on_postgres(bin: &Path, env: &[(&str, String)]) -> Result<Cluster, String> {
    let admin = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .ok_or("it needs DATABASE_URL, a PostgreSQL server (postgres://…)")?;
    let db = Database::create(&admin)?;
    let mut env = env.to_vec();
    env.push(("DIALOGHUB_STORE__URL", db.url.clone()));
    let node = start_dialoghub(bin, &env)?;
    Ok(Cluster {
        nodes: vec![node],
        _db: db,
    })
}

/// A database of one run on the PostgreSQL server of `admin`, dropped afterwards.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn create(admin: &str) -> Result<Database, String> {
        let name = format!("dialoghub_bench_{}", std::process::id());
        psql(
            admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )?;
        psql(admin, &format!("CREATE DATABASE {name}"))?;
        // sqlx takes `dbname` from the query over the URL's path.
        let sep = if admin.contains('?') { '&' } else { '?' };
        Ok(Database {
            url: format!("{admin}{sep}dbname={name}"),
            admin: admin.to_string(),
            name,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = psql(&self.admin, &sql) {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("psql: {e} (the cluster scenario needs the psql client)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "psql: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A second nats-server of our own, with a WebSocket listener; `port` is the WebSocket port.
pub fn start_nats(bin: &Path) -> Result<Server, String> {
    let dir = scratch_dir("nats");
    let (tcp, ws) = (free_port(), free_port());
    let conf = format!(
        "listen: \"127.0.0.1:{tcp}\"\nwebsocket {{\n  listen: \"127.0.0.1:{ws}\"\n  no_tls: true\n  compression: false\n}}\n"
    );
    std::fs::write(dir.join("nats.conf"), conf).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("nats.log")).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("-c")
        .arg(dir.join("nats.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("start nats-server: {e}"))?;
    let pid = child.id();
    let server = Server {
        port: ws,
        pid,
        child,
        dir,
        restart: None,
    };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", ws)).is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("nats-server's WebSocket port did not open within 10 s".into())
}

/// `tick`: the floor-ticks system (`floor.rs`).
pub fn start_floor(bench: &Path, tick: Option<crate::floor::Ticks>) -> Result<Server, String> {
    let dir = scratch_dir("floor");
    let mut command = Command::new(bench);
    command.args(["floor", "--port", "0"]);
    if let Some(t) = tick {
        command.args([
            "--tick-ms".to_string(),
            t.every_ms.to_string(),
            "--tick-bytes".into(),
            t.bytes.to_string(),
            "--tick-for-ms".into(),
            t.for_ms.to_string(),
        ]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("start floor: {e}"))?;
    let pid = child.id();
    let port = read_port(&mut child, "floor listening on port ", None)?;
    Ok(Server {
        port,
        pid,
        child,
        dir,
        restart: None,
    })
}

/// The load generator's processes for one scenario.
pub struct Workers {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    rx: mpsc::UnboundedReceiver<(usize, String)>,
    stash: Vec<VecDeque<String>>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Clients per load-generator process: well under the 20,000 open files a process may have.
pub const PER_WORKER: usize = 5000;

/// Splits `total` clients over processes of at most PER_WORKER each.
pub fn split(total: usize, make: impl Fn(usize, usize) -> WorkerSpec) -> Vec<WorkerSpec> {
    let n = total.div_ceil(PER_WORKER).max(1);
    (0..n)
        .map(|w| {
            let first = total * w / n;
            let last = total * (w + 1) / n;
            make(first, last - first)
        })
        .collect()
}

impl Workers {
    pub fn spawn(bench: &Path, specs: &[WorkerSpec]) -> Result<Workers, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut children = Vec::new();
        let mut stdins = Vec::new();
        for (w, spec) in specs.iter().enumerate() {
            let mut child = Command::new(bench)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("start worker: {e}"))?;
            let mut stdin = child.stdin.take().ok_or("no stdin")?;
            writeln!(stdin, "{}", serde_json::to_string(spec).expect("spec"))
                .map_err(|e| e.to_string())?;
            let stdout = child.stdout.take().ok_or("no stdout")?;
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((w, line)).is_err() {
                        break;
                    }
                }
            });
            children.push(child);
            stdins.push(stdin);
        }
        Ok(Workers {
            stash: vec![VecDeque::new(); children.len()],
            children,
            stdins,
            rx,
        })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|c| c.id()).collect()
    }

    pub fn send(&mut self, cmd: &str) {
        for s in &mut self.stdins {
            let _ = writeln!(s, "{cmd}");
            let _ = s.flush();
        }
    }

    /// One line starting with `prefix` from every worker (the rest of each line).
    pub async fn wait(&mut self, prefix: &str, within: Duration) -> Result<Vec<String>, String> {
        let deadline = tokio::time::Instant::now() + within;
        let mut got: Vec<Option<String>> = vec![None; self.children.len()];
        for (w, stash) in self.stash.iter_mut().enumerate() {
            if let Some(pos) = stash.iter().position(|l| l.starts_with(prefix)) {
                let line = stash.remove(pos).expect("present");
                got[w] = Some(line[prefix.len()..].trim().to_string());
            }
        }
        while got.iter().any(Option::is_none) {
            let (w, line) = match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(x)) => x,
                Ok(None) => return Err(format!("workers exited while waiting for '{prefix}'")),
                Err(_) => {
                    let missing = got.iter().filter(|g| g.is_none()).count();
                    return Err(format!(
                        "{missing} of {} workers did not say '{prefix}' within {within:?}",
                        got.len()
                    ));
                }
            };
            if got[w].is_none() && line.starts_with(prefix) {
                got[w] = Some(line[prefix.len()..].trim().to_string());
            } else {
                self.stash[w].push_back(line);
            }
        }
        Ok(got.into_iter().map(|g| g.expect("all present")).collect())
    }

    pub async fn report(&mut self) -> Result<Vec<Report>, String> {
        self.send("report");
        let lines = self.wait("report ", Duration::from_secs(60)).await?;
        lines
            .iter()
            .map(|l| serde_json::from_str(l).map_err(|e| format!("bad report: {e}")))
            .collect()
    }
}
