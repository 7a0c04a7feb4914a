// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which device a program gets when it names none (fpgacap_find_device,
 * fpgacap_open(NULL)), in a made-up tree of /sys/class/fpgacap and /dev:
 * the only device, the udev link among several, none, several without a
 * link (their nodes listed), a class device without a node, a buffer too
 * small; without sysfs, the character devices of /dev.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "libfpgacap-testing.h"

FIXTURE(tree) {
	char root[64];
};

FIXTURE_SETUP(tree)
{
	char p[256];

	snprintf(self->root, sizeof(self->root), "/tmp/fc-discover.%d",
		 getpid());
	snprintf(p, sizeof(p), "rm -rf %s && mkdir -p %s/dev %s/sys/class/fpgacap",
		 self->root, self->root, self->root);
	ASSERT_EQ(0, system(p));
}

FIXTURE_TEARDOWN(tree)
{
	char p[256];

	snprintf(p, sizeof(p), "rm -rf %s", self->root);
	system(p);
}

/* A device of the class with its node (a plain file stands in for it). */
static void add(const char *root, const char *name, bool node)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/sys/class/fpgacap/%s", root, name);
	mkdir(p, 0755);
	if (!node)
		return;
	snprintf(p, sizeof(p), "%s/dev/%s", root, name);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

TEST_F(tree, the_only_device)
{
	char path[256], want[256];

	add(self->root, "fpgacap-axidma", true);
	ASSERT_EQ(0, fpgacap_testing_find_device(self->root, path,
						 sizeof(path)));
	snprintf(want, sizeof(want), "%s/dev/fpgacap-axidma", self->root);
	EXPECT_STREQ(want, path);
	/* A class device whose node udev has not made yet is not one. */
	add(self->root, "fpgacap1", false);
	ASSERT_EQ(0, fpgacap_testing_find_device(self->root, path,
						 sizeof(path)));
	EXPECT_STREQ(want, path);
}

TEST_F(tree, none)
{
	char path[256] = "x";

	EXPECT_EQ(-ENOENT, fpgacap_testing_find_device(self->root, path,
						       sizeof(path)));
	EXPECT_STREQ("", path);
}

TEST_F(tree, several_listed)
{
	char path[256], want[512];

	add(self->root, "fpgacap0", true);
	add(self->root, "fpgacap-axidma", true);
	EXPECT_EQ(-ENOTUNIQ, fpgacap_testing_find_device(self->root, path,
							 sizeof(path)));
	snprintf(want, sizeof(want), "%s/dev/fpgacap-axidma, %s/dev/fpgacap0",
		 self->root, self->root);
	EXPECT_STREQ(want, path);
	/* Too many to say: cut, and said so. */
	EXPECT_EQ(-ENOTUNIQ, fpgacap_testing_find_device(self->root, path, 40));
	EXPECT_EQ(39, strlen(path));
	EXPECT_STREQ("...", path + 36);
}

/* udev's /dev/fpgacap link chooses among several, if it is a device. */
TEST_F(tree, several_and_the_link)
{
	char path[256], link[256], want[256];

	add(self->root, "fpgacap0", true);
	add(self->root, "fpgacap-axidma", true);
	snprintf(link, sizeof(link), "%s/dev/fpgacap", self->root);
	ASSERT_EQ(0, symlink("/dev/null", link));
	ASSERT_EQ(0, fpgacap_testing_find_device(self->root, path,
						 sizeof(path)));
	EXPECT_STREQ(link, path);
	/* A link to something else than a device: not a choice. */
	unlink(link);
	ASSERT_EQ(0, symlink("/", link));
	EXPECT_EQ(-ENOTUNIQ, fpgacap_testing_find_device(self->root, path,
							 sizeof(path)));
	snprintf(want, sizeof(want), "%s/dev/fpgacap-axidma", self->root);
	EXPECT_EQ(0, strncmp(want, path, strlen(want)));
}

TEST_F(tree, buffer_too_small)
{
	char path[8] = "x";

	add(self->root, "fpgacap-axidma", true);
	EXPECT_EQ(-ENAMETOOLONG, fpgacap_testing_find_device(self->root, path,
							     sizeof(path)));
	EXPECT_STREQ("", path);
	EXPECT_EQ(-EINVAL, fpgacap_testing_find_device(self->root, path, 0));
}

/* No sysfs (a container): the character devices called fpgacap* in /dev,
 * not the link, not other files. */
TEST_F(tree, without_sysfs)
{
	char p[256], path[256];

	snprintf(p, sizeof(p), "%s/sys/class/fpgacap", self->root);
	ASSERT_EQ(0, rmdir(p));
	snprintf(p, sizeof(p), "%s/dev/fpgacap-axidma", self->root);
	if (mknod(p, S_IFCHR | 0600, makedev(1, 3)))
		SKIP(return, "mknod: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/dev/fpgacap-notes", self->root);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/dev/fpgacap", self->root);
	ASSERT_EQ(0, symlink("fpgacap-axidma", p));
	ASSERT_EQ(0, fpgacap_testing_find_device(self->root, path,
						 sizeof(path)));
	snprintf(p, sizeof(p), "%s/dev/fpgacap-axidma", self->root);
	EXPECT_STREQ(p, path);
}

/* fpgacap_open(NULL) is this search, with its errors. */
TEST(open_null)
{
	char path[256];
	struct fpgacap *dev = NULL;
	int found = fpgacap_find_device(path, sizeof(path));
	int ret = fpgacap_open(NULL, 0, &dev);

	if (found == -ENOENT || found == -ENOTUNIQ)
		EXPECT_EQ(found, ret);
	fpgacap_close(dev);
	EXPECT_STRNE("", fpgacap_strerror(-ENOTUNIQ));
	EXPECT_EQ(NULL, strstr(fpgacap_strerror(-ENOTTY), "ioctl"));
}

TEST_HARNESS_MAIN
