#include <linux/module.h>
#define INCLUDE_VERMAGIC
#include <linux/build-salt.h>
#include <linux/elfnote-lto.h>
#include <linux/export-internal.h>
#include <linux/vermagic.h>
#include <linux/compiler.h>

BUILD_SALT;
BUILD_LTO_INFO;

MODULE_INFO(vermagic, VERMAGIC_STRING);
MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
	.arch = MODULE_ARCH_INIT,
};

#ifdef CONFIG_RETPOLINE
MODULE_INFO(retpoline, "Y");
#endif


static const struct modversion_info ____versions[]
__used __section("__versions") = {
	{ 0x587f22d7, "devmap_managed_key" },
	{ 0x15a373a, "param_ops_ullong" },
	{ 0xe7a02573, "ida_alloc_range" },
	{ 0xe3ec2f2b, "alloc_chrdev_region" },
	{ 0x88db9f48, "__check_object_size" },
	{ 0x88005155, "simple_attr_open" },
	{ 0xa7d5f92e, "ida_destroy" },
	{ 0xa7dbde55, "__class_create" },
	{ 0x108a69b4, "debugfs_attr_write" },
	{ 0x91c14d8d, "param_ops_uint" },
	{ 0x13c49cc2, "_copy_from_user" },
	{ 0x7f02188f, "__msecs_to_jiffies" },
	{ 0xb38a2df9, "dev_set_name" },
	{ 0x7ae3ac7b, "platform_driver_unregister" },
	{ 0x7f5b4fe4, "sg_free_table" },
	{ 0xf675d9ac, "cdev_device_del" },
	{ 0x92540fbf, "finish_wait" },
	{ 0xfd11e3f7, "class_destroy" },
	{ 0x60ae7ff2, "dma_sync_sg_for_cpu" },
	{ 0x86fd1fa5, "__put_task_struct" },
	{ 0x4d03a9f9, "device_initialize" },
	{ 0xbf21c5c1, "debugfs_create_atomic_t" },
	{ 0x75d0deb9, "nsecs_to_jiffies64" },
	{ 0x37a0cba, "kfree" },
	{ 0xfa90f440, "dma_release_channel" },
	{ 0x7de31af2, "__put_devmap_managed_page_refs" },
	{ 0x8c26d495, "prepare_to_wait_event" },
	{ 0xb3f7646e, "kthread_should_stop" },
	{ 0xe2964344, "__wake_up" },
	{ 0x62c2ce88, "get_device" },
	{ 0x34db050b, "_raw_spin_lock_irqsave" },
	{ 0xcbd4898c, "fortify_panic" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0xe783e261, "sysfs_emit" },
	{ 0x70e470bf, "wake_up_process" },
	{ 0x65487097, "__x86_indirect_thunk_rax" },
	{ 0x92997ed8, "_printk" },
	{ 0x8427cc7b, "_raw_spin_lock_irq" },
	{ 0xa804b455, "cdev_device_add" },
	{ 0x8ddd8aad, "schedule_timeout" },
	{ 0x1000e51, "schedule" },
	{ 0xa19b956, "__stack_chk_fail" },
	{ 0x296695f, "refcount_warn_saturate" },
	{ 0xb2fcb56d, "queue_delayed_work_on" },
	{ 0xab30ec32, "put_device" },
	{ 0xa916b694, "strnlen" },
	{ 0xbb462483, "_dev_info" },
	{ 0x7cd8d75e, "page_offset_base" },
	{ 0x599fb41c, "kvmalloc_node" },
	{ 0x70f05ec9, "split_page" },
	{ 0x3ef022ec, "compat_ptr_ioctl" },
	{ 0xbcb36fe4, "hugetlb_optimize_vmemmap_key" },
	{ 0x4da78cbb, "debugfs_attr_read" },
	{ 0xfe487975, "init_wait_entry" },
	{ 0x68f31cbd, "__list_add_valid" },
	{ 0x7a945ae2, "_dev_err" },
	{ 0x8df92f66, "memchr_inv" },
	{ 0x4a9c3d47, "simple_attr_release" },
	{ 0xd0a75f7, "platform_device_unregister" },
	{ 0x4dfa8d4b, "mutex_lock" },
	{ 0xedd0b017, "debugfs_remove" },
	{ 0x4b750f53, "_raw_spin_unlock_irq" },
	{ 0xffb7c514, "ida_free" },
	{ 0xe1537255, "__list_del_entry_valid" },
	{ 0xfea5cbdf, "copy_page_to_iter" },
	{ 0xe0934051, "kthread_stop" },
	{ 0xcefb0c9f, "__mutex_init" },
	{ 0x89940875, "mutex_lock_interruptible" },
	{ 0x68fb37ae, "current_task" },
	{ 0xd35cce70, "_raw_spin_unlock_irqrestore" },
	{ 0x6c3ea182, "vm_insert_pages" },
	{ 0x1c7ee19e, "sg_alloc_table_from_pages_segment" },
	{ 0x6667a5ad, "dma_sync_sg_for_device" },
	{ 0x5b8239ca, "__x86_return_thunk" },
	{ 0xf15aa5fc, "debugfs_create_u32" },
	{ 0x6b10bee1, "_copy_to_user" },
	{ 0xd9a5ea54, "__init_waitqueue_head" },
	{ 0x15ba50a6, "jiffies" },
	{ 0xb59f869e, "__platform_driver_register" },
	{ 0xe771160f, "kthread_create_on_node" },
	{ 0xeccb821a, "dma_request_chan" },
	{ 0x97651e6c, "vmemmap_base" },
	{ 0xdd64e639, "strscpy" },
	{ 0x9468ea70, "schedule_hrtimeout_range_clock" },
	{ 0x59edad5e, "debugfs_create_file" },
	{ 0xd3c5a7d8, "platform_device_register_full" },
	{ 0x6091b333, "unregister_chrdev_region" },
	{ 0x74c743e5, "dma_map_sgtable" },
	{ 0x3213f038, "mutex_unlock" },
	{ 0x9fa7184a, "cancel_delayed_work_sync" },
	{ 0xc6f46339, "init_timer_key" },
	{ 0x11dd3e1e, "alloc_pages" },
	{ 0xd184be77, "__folio_put" },
	{ 0xb43f9365, "ktime_get" },
	{ 0x56470118, "__warn_printk" },
	{ 0xffeedf6a, "delayed_work_timer_fn" },
	{ 0xc07351b3, "__SCT__cond_resched" },
	{ 0xde3c0c1c, "stream_open" },
	{ 0xfa3d07df, "dev_err_probe" },
	{ 0x4e315533, "dma_unmap_sg_attrs" },
	{ 0x606e9d01, "kmalloc_trace" },
	{ 0x7aa1756e, "kvfree" },
	{ 0xf4316fcd, "debugfs_create_dir" },
	{ 0xc9f4b187, "cdev_init" },
	{ 0xe2c17b5d, "__SCT__might_resched" },
	{ 0x7a7caba8, "kmalloc_caches" },
	{ 0x2d3385d3, "system_wq" },
	{ 0x9060323f, "module_layout" },
};

MODULE_INFO(depends, "");

MODULE_ALIAS("of:N*T*Cfpgacap,dma-capture");
MODULE_ALIAS("of:N*T*Cfpgacap,dma-captureC*");
MODULE_ALIAS("of:N*T*Cfpgacap,memcpy-capture");
MODULE_ALIAS("of:N*T*Cfpgacap,memcpy-captureC*");
MODULE_ALIAS("of:N*T*Cfpgacap,pattern");
MODULE_ALIAS("of:N*T*Cfpgacap,patternC*");
MODULE_ALIAS("platform:fpgacap-pattern");
