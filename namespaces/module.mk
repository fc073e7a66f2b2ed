HULL_SRCS += $(wildcard namespaces/*.c)
