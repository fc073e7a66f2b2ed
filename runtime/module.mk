HULL_SRCS += $(wildcard runtime/*.c)
