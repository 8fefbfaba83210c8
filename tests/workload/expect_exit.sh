#!/bin/sh
# Runs a command and checks its exit code and output.
# usage: expect_exit.sh CODE PATTERN COMMAND [ARGS...]
# PATTERN is an extended regular expression the combined output must match.
code=$1
pattern=$2
shift 2
output=$("$@" 2>&1)
rc=$?
printf '%s\n' "$output"
if [ "$rc" -ne "$code" ]; then
  echo "expect_exit.sh: expected exit code $code, got $rc from: $*"
  exit 1
fi
if ! printf '%s\n' "$output" | grep -E -q -- "$pattern"; then
  echo "expect_exit.sh: output does not match /$pattern/"
  exit 1
fi
