#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sexec --html: one self-contained page. A real job of known processes (its shell, gzip five
# times, sleep three times) under a hostile name and with a hostile argument. The page is read
# as text (nothing in it can fetch anything; the name and the argument come out escaped),
# rendered in headless Chromium (a screenshot of the window's size; in the DOM the three
# charts, a step bar per step and a bar per process as the database counts them), and loaded
# with a network log that shows no request of the page, while a negative control's request
# is seen. A second job of 451 processes shows the Gantt chart's limit of 400 bars.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
SEXEC=${SEXEC_BIN:-$PREFIX/bin/sexec}
H=$WORK/html
mkdir -p "$H"
chmod 777 "$H"
HOSTILE_NAME='<script>alert(1)</script>'
HOSTILE_ARG='"><svg onload=alert(2)>'

# chrome ARGS...: headless Chromium that can reach nothing: every host name resolves to
# "not found" inside the browser, so not even the browser's own background requests leave
# the machine. A fresh profile each time, in the work dir.
n_chrome=0
chrome() {
	n_chrome=$((n_chrome + 1))
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$H/profile-$n_chrome" --host-resolver-rules="MAP * ~NOTFOUND" \
		"$@" 2>>"$H/chromium.err"
}

# page_requests NETLOG: the http, https, ws and wss URLs a page asked for, one per line,
# sorted. The browser's own background requests (updates, sign-in) name no initiating origin
# ("not an origin"); a page's do (a file: page's origin is "null").
page_requests() {
	jq -r '.constants.logEventTypes.URL_REQUEST_START_JOB as $t | .events[]
		| select(.type == $t) | .params | select(.initiator != "not an origin") | .url' \
		"$1" | grep -E '^(https?|wss?):' | sort -u
}

# png_size FILE: "WIDTHxHEIGHT" from the PNG signature and IHDR chunk, or "not a PNG".
png_size() {
	local b
	b=($(od -An -tu1 -N24 "$1" 2>/dev/null))
	if [ "${#b[@]}" -ne 24 ] || [ "${b[*]:0:8}" != "137 80 78 71 13 10 26 10" ] ||
		[ "${b[*]:12:4}" != "73 72 68 82" ]; then
		echo "not a PNG"
		return
	fi
	echo "$(((b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19]))x$(((b[20] << 24) |
		(b[21] << 16) | (b[22] << 8) | b[23]))"
}

# count PATTERN FILE: occurrences of a fixed string (not lines).
count() { grep -oF -- "$1" "$2" | wc -l; }

echo "t_html: a job of 9 processes under a hostile name"
cat >"$H/job.sh" <<-EOF
	#!/bin/bash
	for i in 1 2 3 4; do gzip -c /etc/services >/dev/null; done
	gzip -c -S '$HOSTILE_ARG' </etc/services >/dev/null
	for i in 1 2 3; do sleep 1; done
	exit 0
EOF
chmod 755 "$H/job.sh"
J=$(as "$TEST_USER" sbatch --parsable --wait -n1 -o /dev/null --job-name="$HOSTILE_NAME" \
	"$H/job.sh" | tail -n 1)
wait_for 30 steps_closed "$J"
wait_for 30 sacct_done "$J"
check_eq "the job completed" COMPLETED "$(sacct_field "$J" State)"
check_eq "sacct has the hostile name" "$HOSTILE_NAME" "$(sacct_field "$J" JobName)"
check_eq "the database has the job's 9 processes (shell, 5 gzip, 3 sleep)" 9 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J")"

OUT=$H/job-$J.html
"$SEXEC" --html "$OUT" "$J" 2>"$H/sexec.err"
check_eq "sexec --html exits 0" 0 $?
check_eq "the page is written" 1 "$([ -s "$OUT" ] && echo 1 || echo 0)"
size=$(stat -c %s "$OUT" 2>/dev/null || echo 0)
echo "  page: $size bytes"
check_eq "the page is small (under 64 KiB)" 1 "$((size > 0 && size < 65536))"

echo "t_html: nothing in the page fetches anything"
check_eq "no http: or https: but the SVG namespace" 0 \
	"$(sed 's#xmlns="http://www\.w3\.org/2000/svg"##g' "$OUT" | grep -Eci 'https?:')"
check_eq "the SVG namespace is the only URL (one per chart)" \
	"$(grep -oi '<svg' "$OUT" | wc -l)" "$(count 'xmlns="http://www.w3.org/2000/svg"' "$OUT")"
for bad in '<script' '<link' 'url(' '@import' 'src=' '<img' '<iframe' '<object' '<embed' \
	'<base' '<meta http-equiv="refresh"'; do
	check_eq "no $bad" 0 "$(grep -Fci -- "$bad" "$OUT")"
done

echo "t_html: strings from the job are escaped"
check_eq "the job name, escaped, in the title and the heading" 2 \
	"$(count '&lt;script&gt;alert(1)&lt;/script&gt;' "$OUT")"
check_eq "the hostile argument, escaped, in its process's tooltip" 1 \
	"$(count '&quot;&gt;&lt;svg onload=alert(2)&gt;' "$OUT")"
check_eq "no unescaped hostile argument" 0 "$(count '<svg onload' "$OUT")"

echo "t_html: rendered in headless Chromium"
chrome --window-size=1400,2400 --screenshot="$H/shot.png" "file://$OUT" >/dev/null
check_eq "screenshot: a PNG of the window's size" 1400x2400 "$(png_size "$H/shot.png")"
echo "  screenshot: $(stat -c %s "$H/shot.png" 2>/dev/null) bytes"
chrome --dump-dom --log-net-log="$H/page.netlog" "file://$OUT" >"$H/dom.html"
check_eq "DOM: the page was parsed" 1 "$(count '</html>' "$H/dom.html")"
for chart in timeline tools gantt; do
	check_eq "DOM: chart $chart" 1 "$(count "<svg id=\"$chart\"" "$H/dom.html")"
done
check_eq "DOM: a process bar per process the database has" \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J")" \
	"$(count 'class="proc"' "$H/dom.html")"
check_eq "DOM: the 9 process bars are the 5 gzip, 3 sleep and the shell" 9 \
	"$(count 'class="proc" data-pid=' "$H/dom.html")"
check_eq "DOM: the batch step's bar" 1 "$(count 'class="step" data-step="batch"' "$H/dom.html")"
check_eq "DOM: an extern step bar as sacct has an extern step" \
	"$(sacct -n -P -j "$J" -o JobID 2>/dev/null | grep -c '\.extern$')" \
	"$(count 'class="step" data-step="extern"' "$H/dom.html")"
check_eq "DOM: no script element" 0 "$(grep -ci '<script' "$H/dom.html")"
check_eq "DOM: the hostile name is text" 1 \
	"$(count '<span id="job-name">&lt;script&gt;alert(1)&lt;/script&gt;</span>' "$H/dom.html")"
check_eq "DOM: the timeline has samples to draw" 0 "$(count 'id="timeline-none"' "$H/dom.html")"

echo "t_html: no network request"
check_eq "the network log was written" 1 \
	"$(jq -r '(.events | length) > 0 | if . then 1 else 0 end' "$H/page.netlog" 2>/dev/null)"
check_eq "the page requested no http/https/ws URL" "" "$(page_requests "$H/page.netlog")"
# The negative control: the same check must see a page's request for an image.
printf '<!DOCTYPE html>\n<p>control</p><img src="http://example.invalid/x.png">\n' \
	>"$H/control.html"
chrome --dump-dom --log-net-log="$H/control.netlog" "file://$H/control.html" >/dev/null
check_eq "negative control: its request is seen" "http://example.invalid/x.png" \
	"$(page_requests "$H/control.netlog")"

echo "t_html: a job of 451 processes draws its 400 longest"
cat >"$H/many.sh" <<-'EOF'
	#!/bin/bash
	for ((i = 0; i < 450; i++)); do /bin/true; done
	exit 0
EOF
chmod 755 "$H/many.sh"
J2=$(as "$TEST_USER" sbatch --parsable --wait -n1 -o /dev/null "$H/many.sh" | tail -n 1)
wait_for 30 steps_closed "$J2"
wait_for 30 sacct_done "$J2"
check_eq "the database has the 451 processes" 451 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J2")"
OUT2=$H/many-$J2.html
"$SEXEC" --html "$OUT2" "$J2" 2>>"$H/sexec.err"
check_eq "sexec --html exits 0" 0 $?
echo "  page: $(stat -c %s "$OUT2" 2>/dev/null) bytes"
check_eq "400 process bars" 400 "$(count 'class="proc" data-pid=' "$OUT2")"
check_eq "the page says how many were left out" 1 "$(count \
	'400 of 451 processes are drawn (the longest by wall time); 51 shorter ones' "$OUT2")"
check_eq "the shell, the longest, is drawn" 1 \
	"$(count "class=\"proc\" data-pid=\"$(db "SELECT pid FROM sexec.process WHERE job_id = $J2
		ORDER BY end_time - start_time DESC LIMIT 1")\"" "$OUT2")"

rm -rf "$H"/profile-*
