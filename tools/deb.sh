#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh [OUT]: make deb.  Builds teredo-dkms and teredo-tools (debian/)
# with dpkg-buildpackage -b from a copy of this tree in OUT (default
# build/deb), then runs lintian on them; no network.  The version is
# tools/version.sh's (0.2.N), written into the copy as .version and, when
# debian/changelog does not have it yet, as a new changelog entry listing
# the commits since the last one.  Prints the paths of the two packages.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
ver=$("$top/tools/version.sh")
src=$out/teredo-$ver

rm -rf "$out"
mkdir -p "$src"
tar -C "$top" --exclude-vcs --exclude=./build --exclude=__pycache__ \
	--exclude='*.o' --exclude='*.ko' --exclude='*.cmd' -cf - . |
	tar -C "$src" -xf -
echo "$ver" > "$src/.version"

# A changelog entry for this version: the commits since the version
# the changelog has (the tag, for a changelog that has only the tag's).
top_ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [ "$top_ver" != "$ver" ]; then
	base=v${top_ver%.0}
	{
		echo "teredo ($ver) UNRELEASED; urgency=medium"
		echo
		if git -C "$top" rev-parse -q --verify "$base^{}" >/dev/null 2>&1; then
			git -C "$top" log --reverse --format=%s "$base..HEAD" |
				python3 -c '
import sys, textwrap
for l in sys.stdin:
    print(textwrap.fill(l.strip(), 76, initial_indent="  * ",
                        subsequent_indent="    "))'
		else
			echo "  * Snapshot $ver."
		fi
		echo
		echo " -- The teredo developers <teredo-devel@lists.example.org>  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} > "$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed, log in $out/build.log" >&2
	exit 1
}
changes=$out/teredo_${ver}_$(dpkg --print-architecture).changes
# lintian at its default level: errors and warnings fail the build.
lintian --fail-on error,warning "$changes" | tee "$out/lintian.log" >&2 || {
	echo "deb: lintian has errors or warnings ($out/lintian.log)" >&2
	exit 1
}
ls "$out"/teredo-dkms_"$ver"_all.deb "$out"/teredo-tools_"$ver"_*.deb
