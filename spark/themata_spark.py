"""themata on Apache Spark: the tables of one local run, computed by executors.

    spark-submit --master local[2] --files target/release/themata \\
        spark/themata_spark.py INPUT -o OUT [--partitions N] [-- ANALYZE FLAGS]

INPUT is a folder on any file system Spark reads (a local path, hdfs://,
s3a://, ...); OUT is a local folder on the driver. The job:

1. lists and reads every file under INPUT through Spark (the `binaryFile`
   source, recursive), so the driver never needs the files on its own disk;
2. keys each file by its shard, the formula of `themata analyze --shard`
   applied to the file stem, and partitions by it: partition K-1 holds
   exactly the files of shard K of N, so files sharing a stem stay together;
3. in each task, writes the partition's files under their relative paths
   into a local temporary folder named like INPUT, runs
   `themata analyze NAME --shard K/N` there, checks that the shard's
   manifest accounts for every file it was given, and returns the output
   folder as a tar.gz: executors share no file system with the driver, so
   results travel through Spark;
4. fetches the results one partition at a time, unpacks them into a
   temporary folder beside OUT and runs `themata merge` into OUT.

A retried or speculative task never counts a document twice: a partition's
result is the return value of the one attempt Spark accepts for it (an
attempt that fails returns nothing, and a second successful attempt of a
finished partition is discarded), and attempts write nowhere but their own
temporary folder. Only Python's standard library and pyspark are used.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import namedtuple

from pyspark import SparkFiles, StorageLevel, TaskContext
from pyspark.sql import SparkSession

USAGE = (
    "usage: spark-submit --files PATH/TO/themata themata_spark.py "
    "INPUT -o OUT [--partitions N] [-- ANALYZE FLAGS]"
)

# Flags the job sets itself for every shard; the user may not pass them.
OWN_FLAGS = ("-o", "--output", "--shard", "--xlsx")

# Test hook: the first attempt of this shard fails after its analysis ran.
FAIL_SHARD = "THEMATA_SPARK_FAIL_SHARD"

# A shard's output travels in pieces of this size (a record must stay below 2 GiB).
CHUNK = 64 << 20

# What each task needs to know, shipped in its closure.
Job = namedtuple("Job", "name base shards flags version fail_shard")


class JobError(Exception):
    """A failure to report as one line starting with `themata_spark:`."""

    def __init__(self, message):
        super().__init__("themata_spark: " + message)


def shard_of(name, shards):
    """The shard (1..=shards) of a document NAME, as `themata analyze --shard`."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def file_stem(path):
    """The stem of a path's last component, as Rust's `Path::file_stem`:
    the name before its last dot, unless that dot is the first character."""
    name = path.rsplit("/", 1)[-1]
    before, dot, _ = name.rpartition(".")
    return before if dot and before else name


def parse_args(argv):
    """(input, output, partitions or None, analyze flags, merge flags)
    from the command line."""
    flags = []
    if "--" in argv:
        cut = argv.index("--")
        argv, flags = argv[:cut], argv[cut + 1 :]
    given = {}
    positional = []
    words = iter(argv)
    for word in words:
        if word in ("-o", "--output", "--partitions"):
            value = next(words, None)
            if value is None:
                raise JobError(f"{word} needs a value\n{USAGE}")
            given[word.lstrip("-")[0]] = value
        elif word in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        else:
            positional.append(word)
    if len(positional) != 1 or "o" not in given:
        raise JobError(f"give one INPUT folder and -o OUT\n{USAGE}")
    partitions = given.get("p")
    if partitions is not None:
        if not partitions.isdigit() or not 1 <= int(partitions) <= 100_000:
            raise JobError(f"--partitions {partitions}: give a number from 1 to 100000")
        partitions = int(partitions)
    for flag in flags:
        if flag.split("=", 1)[0] in OWN_FLAGS:
            raise JobError(f"{flag}: the Spark job sets this flag itself")
    flags = [f for f in flags if f not in ("-q", "--quiet")]
    return positional[0], given["o"], partitions, *split_format(flags)


def split_format(flags):
    """(analyze flags, merge flags): `--format` goes to merge, since merge
    reads the shards' CSV tables and writes the format asked for."""
    shard, merge = [], []
    words = iter(flags)
    for word in words:
        if word == "--format":
            merge += [word, next(words, "")]
        elif word.startswith("--format="):
            merge.append(word)
        else:
            shard.append(word)
    return shard, merge


def themata_binary(where):
    """The themata binary shipped with `--files`, else the one on PATH."""
    shipped = SparkFiles.get("themata")
    if os.path.isfile(shipped):
        if not os.access(shipped, os.X_OK):
            os.chmod(shipped, os.stat(shipped).st_mode | 0o755)
        return shipped
    found = shutil.which("themata")
    if found is None:
        raise JobError(
            f"the themata binary is missing on {where}: ship it with "
            "--files PATH/TO/themata or install it on the PATH of every node"
        )
    return found


def version_of(binary):
    """`themata --version` of a binary, e.g. `themata 0.1.0`."""
    try:
        run = subprocess.run([binary, "--version"], capture_output=True, text=True)
    except OSError as e:  # e.g. a binary built for another platform
        raise JobError(f"{binary} cannot run here: {e.strerror}") from None
    if run.returncode != 0:
        raise JobError(f"{binary} --version failed: {first_error(run)}")
    return run.stdout.strip()


def input_folder(sc, given):
    """The fully qualified URI of INPUT, checked to be a folder, and its name."""
    jvm = sc._jvm
    path = jvm.org.apache.hadoop.fs.Path(given)
    fs = path.getFileSystem(sc._jsc.hadoopConfiguration())
    if not fs.exists(path):
        raise JobError(f"{given}: no such folder")
    status = fs.getFileStatus(path)
    if not status.isDirectory():
        raise JobError(f"{given}: not a folder (the job analyzes a folder of documents)")
    base = status.getPath().toString().rstrip("/")
    name = base.rsplit("/", 1)[-1]
    if not name or name.endswith(":"):
        raise JobError(f"{given}: give a folder below the root of its file system")
    return base, name


def relative_path(uri, base):
    """The path of file `uri` relative to the input folder `base`."""
    prefix = base + "/"
    if not uri.startswith(prefix):
        raise JobError(f"{uri}: listed outside the input folder {base}")
    rel = uri[len(prefix) :]
    if any(part in ("", ".", "..") for part in rel.split("/")):
        raise JobError(f"{uri}: unexpected path")
    return rel


def write_files(root, records, base):
    """Writes (uri, bytes) records under `root` at their relative paths;
    returns those paths, as themata will name them (`NAME/relative`)."""
    name = os.path.basename(root)
    written = []
    for uri, content in records:
        rel = relative_path(uri, base)
        target = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(content)
        written.append(f"{name}/{rel}")
    return written


def link_shipped_files(folder, binary, name):
    """Links the other files shipped with `--files` (a codebook, a metadata
    table, a stopword list) into the task's working folder, so that flags
    name them by their base name as in a local run."""
    root = SparkFiles.getRootDirectory()
    for entry in os.listdir(root):
        source = os.path.join(root, entry)
        target = os.path.join(folder, entry)
        if entry != name and os.path.isfile(source) and source != binary:
            if not os.path.exists(target):
                os.symlink(source, target)


def check_accounted(manifest_path, given, shard):
    """Fails unless the shard's manifest lists every file the task was given
    as a document, an ignored or a skipped path."""
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    seen = {i["source"] for i in manifest.get("inputs", [])}
    seen.update(i["path"] for i in manifest.get("ignored", []))
    seen.update(i["path"] for i in manifest.get("skipped", []))
    rows = {s.rsplit("#", 1)[0] for s in seen if re.search(r"#\d+$", s)}
    tables = sorted(set(given) & rows)
    if tables:
        raise JobError(
            f"{tables[0]}: a corpus table; the Spark job shards files, not table rows"
        )
    missing = [path for path in given if path not in seen]
    if missing:
        raise JobError(
            f"shard {shard}: {len(missing)} file(s) given to the task are not in its "
            f"manifest, e.g. {missing[0]} (a corpus table? the job shards files, not rows)"
        )


def first_error(run):
    """The line of a failed themata run that says what went wrong."""
    lines = run.stderr.strip().splitlines()
    errors = [line for line in lines if "error" in line]
    return (errors or lines or [f"exit code {run.returncode}"])[0]


def analyze_partition(index, records, job):
    """Spark task: analyzes the files of shard index+1 with the themata
    binary and yields (shard, files, tar.gz of the shard's output folder)."""
    shard = index + 1
    binary = themata_binary(f"executor {os.uname().nodename}")
    version = version_of(binary)
    if version != job.version:
        raise JobError(
            f"themata versions differ: driver has {job.version!r}, executor "
            f"{os.uname().nodename} has {version!r} ({binary})"
        )
    with tempfile.TemporaryDirectory(prefix="themata-spark-task-") as work:
        # work/in/NAME/... holds the documents, work/out the shard's tables.
        inputs, output = os.path.join(work, "in"), os.path.join(work, "out")
        os.makedirs(os.path.join(inputs, job.name))
        given = write_files(os.path.join(inputs, job.name), records, job.base)
        link_shipped_files(inputs, binary, job.name)
        command = [binary, "analyze", job.name, "--shard", f"{shard}/{job.shards}"]
        command += ["-o", output, "--quiet", *job.flags]
        run = subprocess.run(command, cwd=inputs, capture_output=True, text=True, errors="replace")
        if run.returncode != 0:
            raise JobError(f"shard {shard}/{job.shards}: {first_error(run)}")
        check_accounted(os.path.join(output, "manifest.json"), given, shard)
        if job.fail_shard == shard and TaskContext.get().attemptNumber() == 0:
            raise JobError(f"shard {shard}: first attempt failed on purpose ({FAIL_SHARD})")
        packed = os.path.join(work, "shard.tar.gz")
        with tarfile.open(packed, mode="w:gz", compresslevel=1) as tar:
            tar.add(output, arcname=f"shard-{shard}")
        with open(packed, "rb") as f:
            while chunk := f.read(CHUNK):
                yield shard, len(given), chunk


def unpack(packed, folder):
    """Unpacks a shard's tar.gz file into `folder`."""
    with tarfile.open(packed, mode="r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)


def run(spark, given, output, partitions, flags, merge_flags):
    """The driver: list, partition by shard, analyze, fetch, merge."""
    sc = spark.sparkContext
    binary = themata_binary("the driver")
    base, name = input_folder(sc, given)
    shards = partitions or 2 * sc.defaultParallelism
    if not any(f in ("-j", "--jobs") or f.startswith(("-j", "--jobs=")) for f in flags):
        flags = ["--jobs", sc.getConf().get("spark.task.cpus", "1"), *flags]
    fail = os.environ.get(FAIL_SHARD, "")
    fail_shard = int(fail) if fail.isdigit() else None
    job = Job(name, base, shards, flags, version_of(binary), fail_shard)

    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(base)
        .select("path", "content")
        .rdd.map(lambda row: (shard_of(file_stem(row[0]), shards), (row[0], row[1])))
    )
    by_shard = files.partitionBy(shards, lambda k: k - 1).values()
    results = by_shard.mapPartitionsWithIndex(
        lambda index, records: analyze_partition(index, records, job)
    ).persist(StorageLevel.DISK_ONLY)
    results.count()  # the shards analyzed in parallel, results kept by the executors

    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".themata-spark-", dir=parent) as work:
        total, packed = 0, {}
        for shard, count, chunk in results.toLocalIterator():  # in shard order
            if shard not in packed:
                packed[shard] = os.path.join(work, f"shard-{shard}.tar.gz")
                total += count
            with open(packed[shard], "ab") as f:
                f.write(chunk)
        results.unpersist()
        for path in packed.values():
            unpack(path, work)
            os.remove(path)
        folders = [os.path.join(work, f"shard-{shard}") for shard in packed]
        merge = subprocess.run(
            [binary, "merge", *folders, "-o", output, *merge_flags],
            stderr=subprocess.PIPE,
            text=True,
        )
        if merge.returncode != 0:
            raise JobError(f"merge into {output}: {first_error(merge)}")
        print(merge.stderr, end="", file=sys.stderr)  # its notes and summary
    print(f"themata_spark: {total} files of {base} in {shards} shards merged into {output}")


def one_line(error):
    """The `themata_spark: ...` line of an error raised in a task, if any."""
    found = re.search(r"themata_spark: [^\n]*", str(error))
    return found.group(0) if found else None


def main(argv):
    """Runs the job; on failure one line and exit code 2 (spark-submit
    shows the driver's standard error on its standard output)."""
    try:
        args = parse_args(argv)
    except JobError as e:
        print(e, file=sys.stderr)
        return 2
    spark = SparkSession.builder.appName("themata").getOrCreate()
    if not spark.sparkContext.getConf().contains("spark.log.level"):
        spark.sparkContext.setLogLevel("WARN")
    try:
        run(spark, *args)
        return 0
    except JobError as e:
        print(e, file=sys.stderr)
        return 2
    except Exception as e:  # a task's JobError arrives wrapped in Spark's error
        line = one_line(e)
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
