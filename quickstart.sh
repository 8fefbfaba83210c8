#!/usr/bin/env bash
# holdup quickstart: installs what is missing, builds, and runs either the
# main job or the tests. Safe to rerun: it installs only missing packages and
# rebuilds incrementally.
#
#   ./quickstart.sh          build, then the main job: on a machine with a GPU,
#                            record the reference workload's seed-lazy scenario
#                            and report on it; without one, report on a trace
#                            recorded on an H100 (tests/data).
#   ./quickstart.sh test     build, then run the test suite (GPU tests skip
#                            themselves where there is no GPU).
#
# Prerequisite: a CUDA Toolkit (13.x; nvcc and CUPTI), e.g. in /usr/local/cuda;
# without one, the main job builds the reader and reports on the bundled trace.
set -euo pipefail

mode=${1:-main}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${HOLDUP_BUILD_DIR:-$here/build}

say() { printf 'quickstart: %s\n' "$*" >&2; }

# --- CUDA toolkit (a stated prerequisite, never installed here) -----------
if ! command -v nvcc >/dev/null 2>&1; then
  for d in /usr/local/cuda/bin /usr/local/cuda-13*/bin; do
    [ -x "$d/nvcc" ] && export PATH="$d:$PATH" && break
  done
fi
# Without it (or with HOLDUP_WITHOUT_CUDA=1) the main job still builds the
# reader, the analysis and the command (HOLDUP_RECORDER=OFF) and reports on
# the bundled trace; recording and the tests need the toolkit.
cuda=1
if [ "${HOLDUP_WITHOUT_CUDA:-0}" = 1 ] || ! command -v nvcc >/dev/null 2>&1; then
  cuda=0
  if [ "$mode" = test ]; then
    say "no CUDA Toolkit found (nvcc): the tests need it. Install the CUDA Toolkit 13 (with CUPTI) and put its bin/ on PATH, then rerun."
    exit 1
  fi
  say "no CUDA Toolkit found (nvcc): building the reader and the command only (no recorder); install the CUDA Toolkit 13 (with CUPTI) to record"
fi

# --- Debian/Ubuntu packages ------------------------------------------------
packages=(cmake ninja-build g++ binutils ccache libprotobuf-dev libprotoc-dev protobuf-compiler libprotozero-dev
          libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libgtest-dev)
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
# Installs those of the given packages that are missing (no recommends).
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing "${packages[@]}"

# --- exports: `holdup export`, `holdup report --html` (issue 11) -------------
# One block, kept apart from the lines above. Packages: SQLite for
# `holdup export --format sqlite`; python3-venv for the test that loads an
# export with Holistic Trace Analysis; Chromium for the test that renders the
# HTML report, where the distribution ships it as a package (Debian's
# `chromium`; Ubuntu's is a snap: not installed, and that test says it skips).
# Then, for `test`, HTA from PyPI in a virtual environment under the build
# tree ($build/hta-venv, where tests/export looks); without it that test skips.
export_packages=(libsqlite3-dev python3-venv)
if [ "$mode" = test ] && ! command -v chromium >/dev/null 2>&1; then
  apt-cache show chromium >/dev/null 2>&1 || $sudo apt-get update -qq
  if apt-cache show chromium 2>/dev/null | grep -q '^Package: chromium$' &&
     ! apt-cache show chromium 2>/dev/null | grep -qi 'snapd'; then
    export_packages+=(chromium)
  else
    say "no Chromium package here (Ubuntu ships a snap): the HTML rendering test will skip"
  fi
fi
install_missing "${export_packages[@]}"
hta_venv=$build/hta-venv
if [ "$mode" = test ] && ! "$hta_venv/bin/python" -c 'import hta' >/dev/null 2>&1; then
  say "installing Holistic Trace Analysis (holistictraceanalysis, PyPI) into $hta_venv"
  mkdir -p "$build"
  export_python=/usr/bin/python3
  [ -x "$export_python" ] || export_python=python3
  if ! { "$export_python" -m venv "$hta_venv" &&
         "$hta_venv/bin/pip" install -q --disable-pip-version-check holistictraceanalysis; }; then
    say "could not install HTA (no PyPI?): the HTA loading test will skip"
  fi
fi

# --- fuzzing: the readers under libFuzzer (issue 14), for `test` only -------
# clang and its sanitizer/libFuzzer runtime (libclang_rt.fuzzer-*.a, ASan,
# UBSan): clang only recommends the package that holds it (through
# libclang-common-N-dev), and we install without recommends. libclang-rt-dev
# is the distribution's default version of it (libclang-rt-14-dev on Debian 12).
[ "$mode" = test ] && install_missing clang libclang-rt-dev

# --- build -------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
# A compiler cache: a rerun recompiles only what changed, and the build
# without the CUDA toolkit (`test`) reuses the main build's objects. Paths
# are hashed relative to the source tree and the build folder
# (CCACHE_BASEDIR), so the two sibling build folders share them.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# The build without the CUDA toolkit: beside the main one, at the same depth
# (the same relative paths, so the compiler cache serves it).
nocuda=${build}-without-cuda
if [ "$cuda" = 0 ]; then
  cmake -S "$here" -B "$nocuda" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDUP_RECORDER=OFF \
        -DHOLDUP_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
  cmake --build "$nocuda" -j "$jobs" --target holdup
  say "analysing a trace recorded on an H100 (tests/data/h100/seed-lazy/trace)"
  "$nocuda/tools/holdup/holdup" report "$here/tests/data/h100/seed-lazy/trace"
  exit 0
fi
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CUDA_ARCHITECTURES=90 "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$jobs"

holdup=$build/tools/holdup/holdup
workload=$build/tools/workload/holdup-workload

gpu_present() {
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '
}

case "$mode" in
  test)
    (cd "$build" && ctest --output-on-failure -j "$jobs")
    # The reader, analysis and command build without the CUDA toolkit
    # (HOLDUP_RECORDER=OFF: CMake never looks for it): proved here.
    say "building without the CUDA toolkit (HOLDUP_RECORDER=OFF) in $nocuda"
    cmake -S "$here" -B "$nocuda" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDUP_RECORDER=OFF \
          -DHOLDUP_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
    cmake --build "$nocuda" -j "$jobs" --target holdup
    "$nocuda/tools/holdup/holdup" report --top 1 --no-histograms "$here/tests/data/h100/seed-lazy/trace" >/dev/null
    say "without-CUDA build: holdup report ran on a fixture"
    # The fuzz targets (tests/fuzz): clang, ASan+UBSan, no recorder, only
    # what they link; each replays the inputs that once crashed it, then
    # fuzzes a copy of its committed corpus for 20 s. A crash fails the run.
    fuzz=$build/fuzz
    say "building the fuzz targets (clang, HOLDUP_FUZZ=ON) in $fuzz"
    CC=clang CXX=clang++ cmake -S "$here" -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDUP_FUZZ=ON \
          -DHOLDUP_RECORDER=OFF -DHOLDUP_BUILD_TESTS=OFF >/dev/null
    cmake --build "$fuzz" -j "$jobs" --target holdup_fuzz
    "$here/tests/fuzz/run_fuzzers.sh" "$fuzz" 20
    say "fuzz targets: no crash"
    ;;
  main)
    if gpu_present && [ -x "$workload" ]; then
      out=$build/quickstart-traces
      rm -rf "$out"
      say "GPU found: recording the reference workload (seed-lazy) into $out"
      "$holdup" run --output "$out" -- "$workload" --scenario seed-lazy
      "$holdup" report "$out"
    else
      say "no GPU here: analysing a trace recorded on an H100 (tests/data/h100/seed-lazy/trace)"
      "$holdup" report "$here/tests/data/h100/seed-lazy/trace"
    fi
    ;;
  *)
    say "usage: $0 [main|test]"
    exit 2
    ;;
esac
