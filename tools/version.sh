#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# version.sh: the version of this tree, one line on stdout.
#
# From git: the newest annotated tag vX.Y plus the number of commits since
# it, X.Y.N (v0.2 and 5 commits later: 0.2.5), so every commit has a larger
# version than its ancestors; DKMS trees and packages never collide.
# Without git (a DKMS source tree, an unpacked package source) the file
# .version at the top of the tree, which `make dkms-install` and `make deb`
# write.  Neither: 0.0.0.
top=$(cd "$(dirname "$0")/.." && pwd)

if d=$(git -C "$top" describe --long --match 'v[0-9]*' 2>/dev/null); then
	# v0.2-5-g1234abc -> 0.2.5
	echo "$d" | sed -E 's/^v([0-9.]+)-([0-9]+)-g[0-9a-f]+$/\1.\2/'
elif [ -s "$top/.version" ]; then
	cat "$top/.version"
else
	echo 0.0.0
fi
