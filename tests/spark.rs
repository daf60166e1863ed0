//! The PySpark job `spark/themata_spark.py` under `spark-submit --master
//! local[2]`: its one-line errors.
//!
//! Needs Java 17+ and the pyspark pinned in tools/requirements-spark.txt in
//! `target/spark-venv` (`.ci/run` installs both; the venv is made on first
//! use here). Without them the tests fail, unless `THEMATA_SKIP_SPARK=1`,
//! which makes them say so loudly and return (CI never sets it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::util::{root, tempdir};

/// One Spark run at a time: each starts a JVM and uses both cores.
static SPARK: Mutex<()> = Mutex::new(());

/// `target/spark-venv` with the pinned pyspark, made on first use; None
/// when THEMATA_SKIP_SPARK=1.
fn spark_venv() -> Option<PathBuf> {
    if std::env::var_os("THEMATA_SKIP_SPARK").is_some_and(|v| v == "1") {
        eprintln!("\n!!!!!!!! Spark test NOT RUN: THEMATA_SKIP_SPARK=1 is set !!!!!!!!\n");
        return None;
    }
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.is_ok_and(|o| o.status.success()),
        "java is not installed: the Spark test needs Java 17+ \
         (apt-get install openjdk-17-jre-headless), or set THEMATA_SKIP_SPARK=1"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let venv = target.join("spark-venv");
    let requirements = root().join("tools/requirements-spark.txt");
    let pinned = std::fs::read_to_string(&requirements).unwrap();
    let version = pinned.trim().trim_start_matches("pyspark==").to_string();
    let check = format!("import pyspark; assert pyspark.__version__ == '{version}'");
    let ready = || {
        Command::new(venv.join("bin/python"))
            .args(["-c", &check])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "-r"])
                .arg(&requirements)
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            made && ready(),
            "could not install {} into {} (or set THEMATA_SKIP_SPARK=1)",
            pinned.trim(),
            venv.display()
        );
    }
    Some(venv)
}

/// `spark-submit --master MASTER` run from `dir` with the venv first on
/// PATH (spark-submit finds pyspark, and the tasks their Python, there),
/// then the folders of `path`.
fn spark_submit(venv: &Path, dir: &Path, master: &str, path: &[PathBuf]) -> Command {
    let mut dirs = vec![venv.join("bin")];
    dirs.extend_from_slice(path);
    let mut cmd = Command::new(venv.join("bin/spark-submit"));
    cmd.current_dir(dir)
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .env("PYSPARK_PYTHON", venv.join("bin/python"))
        .env_remove("THEMATA_SPARK_FAIL_SHARD")
        .args(["--master", master, "--conf", "spark.ui.enabled=false"])
        .args(["--conf", "spark.log.level=WARN"]);
    cmd
}

/// The folders of this process's PATH.
fn path() -> Vec<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect()
}

/// The job's script.
fn job() -> PathBuf {
    root().join("spark/themata_spark.py")
}

/// What a failed job prints: its one line on stdout (spark-submit shows
/// the driver's stderr there) and exit code 2.
fn fails_with(run: std::process::Output, line: &str) {
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "{stdout}");
    let said: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("themata_spark:"))
        .collect();
    assert!(
        said.len() == 1 && said[0].starts_with(line),
        "expected one line starting with {line:?}:\n{stdout}"
    );
}

#[test]
fn spark_job_refuses_a_missing_binary_and_differing_versions() {
    let Some(venv) = spark_venv() else { return };
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
    std::fs::write(dir.path().join("corpus/a.txt"), "Peace and security.").unwrap();
    let _one = SPARK.lock().unwrap_or_else(|e| e.into_inner());
    // No --files, and a PATH that holds Java and the system's tools but
    // no themata.
    let system = [which("java"), "/usr/bin".into(), "/bin".into()];
    assert!(system.iter().all(|d| !d.join("themata").exists()));
    let run = spark_submit(&venv, dir.path(), "local[2]", &system)
        .arg(job())
        .args(["corpus", "-o", "out"])
        .output()
        .unwrap();
    fails_with(
        run,
        "themata_spark: the themata binary is missing on the driver: ship it with --files",
    );
    // A stand-in binary that gives another --version on every call: the
    // driver asks first, then each task, and the tasks must refuse.
    let fake = dir.path().join("bin/themata");
    std::fs::create_dir_all(fake.parent().unwrap()).unwrap();
    std::fs::write(
        &fake,
        "#!/bin/sh\nn=$(cat \"$0.n\" 2>/dev/null || echo 0)\necho $((n + 1)) > \"$0.n\"\n\
         echo \"themata 0.0.$n\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = spark_submit(&venv, dir.path(), "local[2]", &path())
        .arg("--files")
        .arg(&fake)
        .arg(job())
        .args(["corpus", "-o", "out"])
        .output()
        .unwrap();
    fails_with(
        run,
        "themata_spark: themata versions differ: driver has 'themata 0.0.0', executor ",
    );
    assert!(!dir.path().join("out").exists());
}

/// The folder of a program found on PATH.
fn which(program: &str) -> PathBuf {
    path()
        .into_iter()
        .find(|d| d.join(program).is_file())
        .unwrap_or_else(|| panic!("{program} not on PATH"))
}
