// SPDX-License-Identifier: MIT
/*
 * Which device a program means when it names none. The kernel knows its
 * devices (/sys/class/fpgacap); their nodes carry the device tree's label
 * (/dev/fpgacap-axidma) or a number (/dev/fpgacap0), so no fixed name
 * fits every board: the only device there is, else the udev rule's
 * /dev/fpgacap link, else the caller must choose.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "libfpgacap-testing.h"

#define MAX_NAMES 64

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device names under @root: the class's, else /dev's character
 * devices called fpgacap*. How many (at most MAX_NAMES), or -errno. */
static int device_names(const char *root, char *names[MAX_NAMES])
{
	char dir[4096], node[4096];
	bool from_class = true;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/sys/class/fpgacap", root);
	d = opendir(dir);
	if (!d) {
		/* No sysfs here (a container): what /dev holds. */
		from_class = false;
		snprintf(dir, sizeof(dir), "%s/dev", root);
		d = opendir(dir);
		if (!d)
			return -errno;
	}
	while ((e = readdir(d)) && n < MAX_NAMES) {
		if (e->d_name[0] == '.' ||
		    (!from_class && strncmp(e->d_name, "fpgacap", 7)))
			continue;
		snprintf(node, sizeof(node), "%s/dev/%s", root, e->d_name);
		/* The class's devices need a node; in /dev, the link to one
		 * (/dev/fpgacap) is not a device of its own. */
		if (from_class ? stat(node, &st) :
		    lstat(node, &st) || !S_ISCHR(st.st_mode))
			continue;
		names[n] = strdup(e->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_name);
	return n;
}

/* "a, b, c" into @buf, "..." where it does not fit. */
static void join(char *buf, size_t len, const char *root, char **names, int n)
{
	size_t used = 0;
	int i, w;

	buf[0] = 0;
	for (i = 0; i < n; i++) {
		w = snprintf(buf + used, len - used, "%s%s/dev/%s",
			     i ? ", " : "", root, names[i]);
		if (w < 0 || (size_t)w >= len - used) {
			if (len >= 4)
				strcpy(buf + len - 4, "...");
			return;
		}
		used += (size_t)w;
	}
}

int fpgacap_testing_find_device(const char *root, char *path, size_t len)
{
	char *names[MAX_NAMES], link[4096];
	struct stat st;
	int n, ret, i;

	if (!path || !len)
		return -EINVAL;
	path[0] = 0;
	n = device_names(root, names);
	if (n < 0)
		return n == -ENOENT ? -ENOENT : n;
	snprintf(link, sizeof(link), "%s/dev/fpgacap", root);
	if (n == 1) {
		ret = snprintf(path, len, "%s/dev/%s", root, names[0]) <
		      (int)len ? 0 : -ENAMETOOLONG;
	} else if (n > 1 && !stat(link, &st) && S_ISCHR(st.st_mode)) {
		/* udev's choice among several: the first device. */
		ret = snprintf(path, len, "%s", link) < (int)len ? 0 :
		      -ENAMETOOLONG;
	} else if (!n) {
		ret = -ENOENT;
	} else {
		join(path, len, root, names, n);
		ret = -ENOTUNIQ;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	if (ret == -ENAMETOOLONG)
		path[0] = 0;
	return ret;
}

FPGACAP_API int fpgacap_find_device(char *path, size_t len)
{
	return fpgacap_testing_find_device("", path, len);
}
