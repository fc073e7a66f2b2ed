/* The parser's concepts, one file each (internal to oci-spec/).  Every
   parse_* function reads the value at the current jr_ctx path into a zeroed
   struct; every *_clear function frees what a complete or partial parse left
   (so a failed parse is released by the same code as a good one). */
#ifndef HULL_OCI_PARSE_H
#define HULL_OCI_PARSE_H

#include "oci-spec/json_read.h"
#include "oci-spec/oci_spec.h"

int parse_process (struct jr_ctx *c, yajl_val v, struct oci_process *p);
void process_clear (struct oci_process *p);

int parse_linux (struct jr_ctx *c, yajl_val v, struct oci_linux *l);
void linux_clear (struct oci_linux *l);

int parse_resources (struct jr_ctx *c, yajl_val v, struct oci_resources *r);
void resources_clear (struct oci_resources *r);

int parse_seccomp (struct jr_ctx *c, yajl_val v, struct oci_seccomp *s);
void seccomp_clear (struct oci_seccomp *s);

int parse_mount (struct jr_ctx *c, yajl_val v, void *elem);
void mount_clear (struct oci_mount *m);
int parse_hooks (struct jr_ctx *c, yajl_val v, struct oci_hooks *h);
void hooks_clear (struct oci_hooks *h);

/* containerID/hostID/size, shared by linux.*Mappings and mounts[].*Mappings. */
int parse_id_mapping (struct jr_ctx *c, yajl_val v, void *elem);

/* Optional sub-object: allocate *out and parse it at path ".key"; returns -1
   from the calling function on error. */
#define JR_SUB_OBJECT(c, obj, key, out, fn)                                                                             \
  do                                                                                                                   \
    {                                                                                                                  \
      yajl_val sub_ = jr_member ((obj), (key));                                                                        \
      if (sub_ != NULL)                                                                                                \
        {                                                                                                              \
          size_t saved_ = jr_push_key ((c), (key));                                                                    \
          *(out) = jr_xcalloc (1, sizeof (**(out)));                                                                   \
          if (fn ((c), sub_, *(out)) < 0)                                                                              \
            return -1;                                                                                                 \
          jr_pop ((c), saved_);                                                                                        \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

#endif
