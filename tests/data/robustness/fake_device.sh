#!/usr/bin/env bash
# A misbehaving device for the robustness tests: every verb is the reference device's, except
# `check`, which crashes (SIGSEGV) or hangs (sleeps forever) as --mode says.
#   fake_device.sh VERB --state DIR [--config FILE] --real PATH --mode segv|hang|ok
set -u
real="" mode="ok" args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --real) real="$2"; shift 2 ;;
    --mode) mode="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ "${args[0]:-}" == "check" ]]; then
  case "$mode" in
    segv) kill -SEGV $$ ;;
    hang) exec sleep 100000 ;;
  esac
fi
exec "$real" "${args[@]}"
