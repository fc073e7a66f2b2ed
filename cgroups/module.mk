HULL_SRCS += $(wildcard cgroups/*.c)
