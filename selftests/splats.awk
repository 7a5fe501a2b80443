# SPDX-License-Identifier: GPL-2.0
#
# The kernel splats in a log, minus the ones selftests/known-splats allows.
#   awk -v skip=LINES -v allow=FILE -f splats.awk LOG
# What a splat is, for every check of the project (the selftests' own at
# each script's end, tools/vm/run.sh's and make check-debug's on the
# whole dmesg): a line matching SPLAT below (the last ones come from the
# debug kernel, tools/vm/debug.config), and the 24 lines after it (a
# "Call Trace" line inside it extends it).  Prints each splat that is not
# allowed; an allowed one goes to stderr as one line with its reason.
# Exit status 0 when a splat was not allowed, 1 otherwise.

function allowed(b,    e, i, j, hit) {
	for (e = 1; e <= nallow; e++) {
		for (i = 1; i <= npat[e]; i++) {
			hit = 0
			for (j = 1; j <= blen[b] && !hit; j++)
				hit = block[b, j] ~ pat[e, i]
			if (!hit)
				break
		}
		if (i > npat[e])
			return e
	}
	return 0
}

BEGIN {
	SPLAT = "WARNING:|BUG:|Oops|KASAN|refcount_t|unreferenced object|" \
		"general protection|Call Trace|UBSAN:|possible circular locking|" \
		"suspicious RCU usage|sleeping function called|" \
		"inconsistent lock state|ref_tracker|unregister_netdevice: waiting"
	while (allow != "" && (getline line < allow) > 0) {
		if (line ~ /^[ \t]*(#|$)/ || !(k = index(line, " | ")))
			continue
		reason = substr(line, k + 3)
		if (reason ~ /^[ \t]*$/)
			continue
		nallow++
		npat[nallow] = split(substr(line, 1, k - 1), p, / && /)
		for (i = 1; i <= npat[nallow]; i++)
			pat[nallow, i] = p[i]
		why[nallow] = reason
	}
}

NR <= skip + 0 { next }

{
	if ($0 ~ SPLAT) {
		# A trace extends the splat it belongs to; any other match
		# starts one.
		if (left == 0 || $0 !~ /Call Trace/)
			nb++
		left = 25
	}
	if (left > 0) {
		block[nb, ++blen[nb]] = $0
		left--
	}
}

END {
	found = 0
	for (b = 1; b <= nb; b++) {
		if ((e = allowed(b))) {
			print "allowed kernel splat: " block[b, 1] " (" why[e] ")" > "/dev/stderr"
			continue
		}
		for (j = 1; j <= blen[b]; j++)
			print block[b, j]
		found = 1
	}
	exit !found
}
