HULL_SRCS += $(filter-out cli/main.c,$(wildcard cli/*.c))
HULL_MAIN_SRCS += cli/main.c
