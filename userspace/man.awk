# SPDX-License-Identifier: MIT
# A man page as installed: @VERSION@ filled in, and a line "@EXAMPLE f@"
# replaced by the program examples/f, as troff example text (backslashes
# escaped, a leading dot or quote kept from being a request).
# awk -v version=V -v examples=DIR -f man.awk PAGE
{ gsub(/@VERSION@/, version) }
/^@EXAMPLE [^ @]+@$/ {
	file = examples "/" substr($2, 1, length($2) - 1)
	print ".EX"
	while ((getline line < file) > 0) {
		gsub(/\\/, "\\e", line)
		if (line ~ /^[.']/)
			line = "\\&" line
		print line
	}
	if (close(file)) {
		print "man.awk: cannot read " file > "/dev/stderr"
		exit 1
	}
	print ".EE"
	next
}
{ print }
