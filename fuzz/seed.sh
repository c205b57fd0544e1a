#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (the corpus folders are
# ignored by git; libFuzzer adds what it finds to them). Safe to run again: seeds are
# named by their sha256, so nothing is duplicated and found inputs are kept.
#
#   fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fixtures=tests/fixtures
images=$fixtures/images
corpus=fuzz/corpus

# seed TARGET FILE [PREFIX-BYTE]: copies FILE (with one byte before it, in octal,
# when given) into TARGET's corpus under its sha256.
seed() {
  local target="$1" file="$2" prefix="${3:-}" tmp hash
  mkdir -p "$corpus/$target"
  tmp="$(mktemp)"
  if [[ -n "$prefix" ]]; then
    # shellcheck disable=SC2059 # the prefix is an octal escape on purpose
    printf "\\$prefix" > "$tmp"
  else
    : > "$tmp"
  fi
  cat "$file" >> "$tmp"
  hash="$(sha256sum "$tmp" | cut -c1-40)"
  mv "$tmp" "$corpus/$target/seed-$hash"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# elf_facts: every fixture ELF file (and the few non-ELF ones), the sample release.
while IFS= read -r -d '' f; do
  seed elf_facts "$f"
done < <(find "$fixtures/bin" "$fixtures/resolve" "$fixtures/artifacts" samples -type f -size -2M \
  ! -name '*.json' ! -name '*.md' ! -name '*.sh' -print0)

# other_binary: the archives, Mach-O and PE fixtures, and the objects (as archive
# members they are what the reader meets most).
while IFS= read -r -d '' f; do
  seed other_binary "$f"
done < <(find "$fixtures/artifacts" -type f \( -name '*.a' -o -name '*.exe' -o -name '*.o' \) -print0)

# image_layer: every layer blob of the fixture images, as stored (gzip, zstd) and
# decompressed, and the plain layer tars of the docker archives.
layouts=("$images"/*.oci "$images"/hostile/*.oci)
for layout in "${layouts[@]}"; do
  for blob in "$layout"/blobs/sha256/*; do
    [[ -f "$blob" ]] || continue
    magic="$(head -c 4 "$blob" | od -An -tx1 | tr -d ' \n')"
    case "$magic" in
      1f8b*)
        seed image_layer "$blob"
        if gzip -dc < "$blob" > "$work/plain" 2>/dev/null || [[ -s "$work/plain" ]]; then
          seed image_layer "$work/plain"
        fi
        ;;
      28b52ffd)
        seed image_layer "$blob"
        if command -v zstd > /dev/null && zstd -dcq < "$blob" > "$work/plain" 2>/dev/null; then
          seed image_layer "$work/plain"
        fi
        ;;
      7b*) # "{": a JSON blob, as a manifest (mode 1 of image_manifest)
        seed image_manifest "$blob" 001
        ;;
    esac
  done
  # mode 0: the layout's index.json
  seed image_manifest "$layout/index.json" 000
done
for archive in "$images/app-docker.tar" "$images/hostile/traversal.tar"; do
  rm -rf "$work/x" && mkdir -p "$work/x"
  tar -xf "$archive" -C "$work/x"
  for member in "$work"/x/*.tar; do
    seed image_layer "$member"
  done
  # mode 2: the archive's manifest.json
  seed image_manifest "$work/x/manifest.json" 002
done
# mode 2 with blobs/sha256/ names (docker 25+), for app.oci's config and layers.
printf '[{"Config":"blobs/sha256/%s","RepoTags":["fuzz:latest"],"Layers":["blobs/sha256/%s","blobs/sha256/%s"]}]' \
  27b51c4d7d02acc14362db6187c98cb315d9d5a4aad98e3ba4af5339da93623e \
  09694e8511aa9f2f85265790ca22b2eb7c6ff2bb89114fc1cdc769e815deb826 \
  4cc3dcea88f314f19c846305bb9c242b4bc9e6b4d6268751009cf849ee40142b > "$work/manifest.json"
seed image_manifest "$work/manifest.json" 002

# profile_yaml: the sample profile files, and policy files.
for f in samples/profiles/*.yaml; do
  seed profile_yaml "$f"
done
cat > "$work/policy.yaml" <<'YAML'
rules:
  textrel: error
  rpath: off
  executable-stack: warning
waivers:
  - rule: missing-library
    path: "lib/plugins/*.so"
    target: ubuntu-20.04
    reason: loaded by the host application, which provides libhost.so.1
  - rule: symbol-version
    path: pie-*
    reason: built for 22.04+ only
YAML
seed profile_yaml "$work/policy.yaml"

# archive: every archive and package fixture under 64 KiB (tar plain and compressed,
# zip, wheels, npm, .deb, .rpm, the hostile ones).
while IFS= read -r -d '' f; do
  seed archive "$f"
done < <(find "$fixtures/inputs" -maxdepth 1 -type f -size -64k ! -name '*.sh' -print0)

for target in elf_facts image_layer image_manifest profile_yaml archive; do
  echo "seed.sh: $target: $(find "$corpus/$target" -type f | wc -l) inputs in $corpus/$target"
done
