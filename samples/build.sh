#!/usr/bin/env bash
# Builds samples/dist/ from samples/src/: a small release folder of the kind preflight
# checks (an app, its private library found through RUNPATH $ORIGIN/../lib, an arm64
# helper, a README). The results are committed so `preflight scan samples/dist` works
# without a compiler; run this script to rebuild them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export SOURCE_DATE_EPOCH=0 LC_ALL=C

need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
missing=()
need gcc gcc
need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

flags=(-O1 -g0 -ffile-prefix-map="$here"=. -Wl,--build-id=none)
rm -rf dist && mkdir -p dist/bin dist/lib
gcc "${flags[@]}" -fPIC -shared -Wl,-soname,libgreet.so.1 -Wl,--version-script=src/greet.map \
  -o dist/lib/libgreet.so.1 src/greet.c
gcc "${flags[@]}" -o dist/bin/hello src/hello.c -Ldist/lib -l:libgreet.so.1 \
  -Wl,-rpath,'$ORIGIN/../lib'
aarch64-linux-gnu-gcc "${flags[@]}" -o dist/bin/tool-arm64 src/tool.c
strip --strip-debug dist/lib/libgreet.so.1 dist/bin/hello
aarch64-linux-gnu-strip --strip-debug dist/bin/tool-arm64
printf 'hello 1.0: run bin/hello NAME\n' > dist/README.txt
ls -l dist/bin dist/lib
