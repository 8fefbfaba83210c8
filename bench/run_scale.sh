#!/usr/bin/env bash
# Analysis at scale (issue 5): time and peak memory of `holdup report` against
# decoding the same files with the same reader into the same records
# (holdup-bench-decode --mode load: analysis::load_traces, no analysis), and
# against the bare reader (--mode read), for synthetic traces of each size.
#   bench/run_scale.sh OUT_DIR [SIZES...]      (default sizes: 1M 10M 50M)
# Env: BUILD_DIR (default: build-bench, else build, in this checkout),
# SCALE_TMP (where traces go, default /tmp; deleted after each size),
# REPEATS (default 1: runs per tool and size; the fastest is kept),
# EXPORT_MAX (default 10000000: `holdup export --format json|sqlite` and
# `holdup report --html` are timed too for sizes up to this many records;
# their output, ~250 bytes a record for json, goes to SCALE_TMP and is deleted).
# Writes OUT_DIR/scale.jsonl (one object per size), OUT_DIR/scale.md and the
# logs; prints the table. Needs /usr/bin/time (GNU time, for peak RSS).
set -euo pipefail
if [ $# -lt 1 ]; then echo "usage: $0 OUT_DIR [SIZES...]  (sizes like 1M 10M 50M or 250000)" >&2; exit 2; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1M 10M 50M)
build=${BUILD_DIR:-}
[ -n "$build" ] || { [ -x "$repo/build-bench/bench/holdup-bench-gen" ] && build=$repo/build-bench || build=$repo/build; }
gen=$build/bench/holdup-bench-gen decode=$build/bench/holdup-bench-decode holdup=$build/tools/holdup/holdup
for exe in "$gen" "$decode" "$holdup"; do
  [ -x "$exe" ] || { echo "$0: $exe missing; build it: ninja -C $build holdup-bench-gen holdup-bench-decode holdup" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "$0: /usr/bin/time (GNU time) missing; apt-get install time" >&2; exit 2; }
tmp_root=${SCALE_TMP:-/tmp}
repeats=${REPEATS:-1}
export_max=${EXPORT_MAX:-10000000}

records_of() {  # 1M -> 1000000
  local s=$1
  case $s in
    *M) echo $(( ${s%M} * 1000000 ));;
    *k|*K) echo $(( ${s%[kK]} * 1000 ));;
    *) echo "$s";;
  esac
}

# timed NAME LOG CMD...: runs CMD under GNU time; prints "wall_s max_rss_kib".
timed() {
  local log=$1; shift
  /usr/bin/time -v -o "$log.time" "$@" > "$log.out" 2> "$log.err" || { echo "$0: failed: $* (see $log.err)" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")
  echo "$wall $rss"
}

best() {  # best LOG CMD...: fastest of $repeats runs
  local log=$1; shift
  local best_wall="" best_rss=""
  for ((r = 0; r < repeats; r++)); do
    read -r wall rss < <(timed "$log" "$@")
    if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss; fi
  done
  echo "$best_wall $best_rss"
}

: > "$out/scale.jsonl"
for size in "${sizes[@]}"; do
  n=$(records_of "$size")
  dir=$tmp_root/holdup-scale-$size
  need_kib=$(( n * 50 / 1024 + 102400 ))  # ~43 bytes a record on disk, plus margin
  free_kib=$(df -Pk "$tmp_root" | awk 'NR==2 {print $4}')
  if [ "$free_kib" -lt "$need_kib" ]; then
    echo "$0: $size needs ~$((need_kib / 1024)) MiB in $tmp_root, $((free_kib / 1024)) MiB free: skipped" >&2
    continue
  fi
  rm -rf "$dir"
  echo "== $size records: generating in $dir" >&2
  read -r gen_wall gen_rss < <(timed "$out/gen-$size" "$gen" --records "$n" --out "$dir")
  bytes=$(du -sb "$dir" | cut -f1)
  echo "   $(( bytes / 1048576 )) MiB in ${gen_wall} s; decode (load)" >&2
  read -r load_wall load_rss < <(best "$out/decode-load-$size" "$decode" --mode load "$dir")
  echo "   decode (read)" >&2
  read -r read_wall read_rss < <(best "$out/decode-read-$size" "$decode" --mode read "$dir")
  echo "   holdup report" >&2
  read -r rep_wall rep_rss < <(best "$out/report-$size" "$holdup" report "$dir")
  # Exports of the same trace (issue 11), each into a fresh output.
  json_wall=null json_rss=null sqlite_wall=null sqlite_rss=null html_wall=null
  if [ "$n" -le "$export_max" ]; then
    echo "   holdup export --format json / sqlite, report --html" >&2
    # Each run into a folder of its own: replacing the last run's files would
    # time the freeing of their pages too.
    for format in json sqlite; do
      mkdir -p "$dir.$format"
      read -r wall rss < <(best "$out/export-$format-$size" bash -c '"$1" export --format "$2" -o "$3/$(date +%s%N)" "$4"' \
                           _ "$holdup" "$format" "$dir.$format" "$dir")
      du -sb "$dir.$format/$(ls "$dir.$format" | head -1)" | cut -f1 > "$out/export-$format-$size.bytes"
      rm -rf "$dir.$format"
      if [ "$format" = json ]; then json_wall=$wall json_rss=$rss; else sqlite_wall=$wall sqlite_rss=$rss; fi
    done
    read -r html_wall _ < <(best "$out/report-html-$size" "$holdup" report --force --html "$dir.html" "$dir")
    rm -f "$dir.html"
  fi
  # A progress indication: anything on stderr while report ran.
  progress=$([ -s "$out/report-$size.err" ] && echo yes || echo no)
  records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$out/decode-read-$size.out")
  python3 - "$out/scale.jsonl" <<PY
import json, sys
n = $records
null = None
row = dict(size="$size", records=n, file_bytes=$bytes, generate_s=$gen_wall,
           report_s=$rep_wall, report_peak_kib=$rep_rss,
           decode_load_s=$load_wall, decode_load_peak_kib=$load_rss,
           decode_read_s=$read_wall, decode_read_peak_kib=$read_rss,
           report_over_decode=$rep_wall / $load_wall if $load_wall > 0 else None,
           report_bytes_per_record=$rep_rss * 1024 / n if n else None,
           decode_bytes_per_record=$load_rss * 1024 / n if n else None,
           progress_on_stderr="$progress" == "yes",
           export_json_s=$json_wall, export_json_peak_kib=$json_rss,
           export_sqlite_s=$sqlite_wall, export_sqlite_peak_kib=$sqlite_rss, report_html_s=$html_wall)
open(sys.argv[1], "a").write(json.dumps(row) + "\n")
PY
  rm -rf "$dir"
done

python3 - "$out" "$repo" <<'PY'
import json, subprocess, sys, time, platform
out, repo = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(f"{out}/scale.jsonl") if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
mem = next((int(l.split()[1]) // 1048576 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [f"{cpu}, {cores} cores, {mem} GiB; {time.strftime('%Y-%m-%d', time.gmtime())}; commit {commit or '?'}; "
         "warm page cache", "",
         "| records | report / decode | report bytes/record | report s | decode s | read-only s | report peak MiB "
         "| decode peak MiB | file MiB | progress on stderr |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    lines.append(f"| {r['records']:,} | {r['report_over_decode']:.2f}x | {r['report_bytes_per_record']:.0f} "
                 f"| {r['report_s']:.2f} | {r['decode_load_s']:.2f} | {r['decode_read_s']:.2f} "
                 f"| {r['report_peak_kib'] / 1024:.0f} | {r['decode_load_peak_kib'] / 1024:.0f} "
                 f"| {r['file_bytes'] / 1048576:.0f} | {'yes' if r['progress_on_stderr'] else 'no'} |")
exports = [r for r in rows if r.get("export_json_s") is not None]
if exports:
    lines += ["", "Exports of the same traces (`holdup export`, `holdup report --html`), against `holdup report`:", "",
              "| records | report s | export json s | json / report | export sqlite s | sqlite / report "
              "| report --html s | json peak MiB | sqlite peak MiB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in exports:
        lines.append(f"| {r['records']:,} | {r['report_s']:.2f} | {r['export_json_s']:.2f} "
                     f"| {r['export_json_s'] / r['report_s']:.2f}x | {r['export_sqlite_s']:.2f} "
                     f"| {r['export_sqlite_s'] / r['report_s']:.2f}x | {r['report_html_s']:.2f} "
                     f"| {r['export_json_peak_kib'] / 1024:.0f} | {r['export_sqlite_peak_kib'] / 1024:.0f} |")
text = "\n".join(lines) + "\n"
open(f"{out}/scale.md", "w").write(text)
print(text)
PY
