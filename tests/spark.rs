//! The PySpark job `spark/themata_spark.py` under `spark-submit --master
//! local[2]`: the 1,938 UN speeches analyzed in shards by Spark tasks and
//! merged give every file one local `themata analyze` writes, byte for
//! byte, also when Spark retries a task that failed after its analysis ran;
//! a missing binary and differing versions are one-line errors.
//!
//! Needs Java 17+ and the pyspark pinned in tools/requirements-spark.txt in
//! `target/spark-venv` (`.ci/run` installs both; the venv is made on first
//! use here). Without them the tests fail; a developer without Java leaves
//! them out with cargo's own filter, `cargo test -- --skip spark::`, so no
//! test here can pass without running.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::util::{corpus, root, tempdir, themata};

/// One Spark run at a time: each starts a JVM and uses both cores.
static SPARK: Mutex<()> = Mutex::new(());

/// One test makes the venv; the others wait and find it made.
static VENV: Mutex<()> = Mutex::new(());

/// `target/spark-venv` with the pinned pyspark, made on first use.
fn spark_venv() -> PathBuf {
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.is_ok_and(|o| o.status.success()),
        "java is not installed: the Spark test needs Java 17+ \
         (apt-get install openjdk-17-jre-headless), or leave these tests out: cargo test -- --skip spark::"
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
    let _one = VENV.lock().unwrap_or_else(|e| e.into_inner());
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
            "could not install {} into {}",
            pinned.trim(),
            venv.display()
        );
    }
    venv
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

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Runs the job on the UN corpus with analyze `flags` and checks that its
/// output folder holds exactly the files of `cd corpora && themata analyze
/// ungdc FLAGS`, byte for byte (manifest.json: but for the two fields
/// README names, `command` is `merge` and `shards` is added); returns
/// spark-submit's stderr.
fn spark_equals_one_run(master: &str, fail: &str, flags: &[&str]) -> String {
    let ungdc = corpus("ungdc");
    let venv = spark_venv();
    let corpora = ungdc.parent().unwrap();
    let dir = tempdir();
    themata(corpora)
        .args(["analyze", "ungdc", "--quiet", "-o"])
        .arg(dir.path().join("local"))
        .args(flags)
        .assert()
        .success();
    let run = {
        let _one = SPARK.lock().unwrap_or_else(|e| e.into_inner());
        spark_submit(&venv, corpora, master, &path())
            .env("THEMATA_SPARK_FAIL_SHARD", fail)
            .arg("--files")
            .arg(assert_cmd::cargo::cargo_bin("themata"))
            .arg(job())
            .args(["ungdc", "-o"])
            .arg(dir.path().join("spark"))
            .arg("--")
            .args(flags)
            .output()
            .unwrap()
    };
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "spark-submit failed:\n{stderr}");
    assert!(
        stdout.contains("themata_spark: 1939 files of file:") && stdout.contains(" in 4 shards"),
        "{stdout}"
    );
    let (local, spark) = (dir.path().join("local"), dir.path().join("spark"));
    let names = files(&local);
    assert!(names.len() >= 9, "{names:?}");
    assert_eq!(files(&spark), names);
    for name in names.iter().filter(|n| *n != Path::new("manifest.json")) {
        let (a, b) = (
            std::fs::read(local.join(name)).unwrap(),
            std::fs::read(spark.join(name)).unwrap(),
        );
        assert!(a == b, "{} differs from the local run", name.display());
    }
    let manifest = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
    };
    let mut merged = manifest(&spark);
    assert_eq!(merged["command"], "merge");
    assert_eq!(merged["shards"], 4);
    merged["command"] = "analyze".into();
    merged.as_object_mut().unwrap().remove("shards");
    assert!(merged == manifest(&local), "manifest.json differs");
    stderr
}

#[test]
fn spark_local_2_gives_the_tables_and_charts_of_one_run() {
    // Every per-document chart too: 3,876 SVG files.
    spark_equals_one_run("local[2]", "", &["--charts", "all"]);
}

#[test]
fn spark_retried_task_counts_no_document_twice() {
    // local[2,3]: a task may fail 3 times; shard 2's first attempt fails
    // after its analysis ran, so its result would be there to double.
    let stderr = spark_equals_one_run("local[2,3]", "2", &[]);
    assert!(
        stderr.contains("themata_spark: shard 2: first attempt failed on purpose"),
        "the injected failure did not happen:\n{stderr}"
    );
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
    let venv = spark_venv();
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
