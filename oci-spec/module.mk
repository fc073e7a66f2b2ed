HULL_SRCS += $(wildcard oci-spec/*.c)
