/* The top of config.json: ociVersion, root, hostname, mounts, hooks,
   annotations; process and linux are delegated. */
#include "oci-spec/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A config.json is a few KiB; anything this large is not one. */
#define CONFIG_MAX_SIZE (16u << 20)

static int
fail_at (struct jr_ctx *c, const char *key, const char *msg)
{
  size_t saved = jr_push_key (c, key);
  jr_fail (c, "%s", msg);
  jr_pop (c, saved);
  return -1;
}

static int
parse_root (struct jr_ctx *c, yajl_val v, struct oci_root *r)
{
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "path", true, &r->path) < 0)
    return -1;
  if (r->path[0] == '\0')
    return fail_at (c, "path", "must not be empty");
  return jr_bool (c, v, "readonly", &r->readonly);
}

int
parse_mount (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_mount *m = elem;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "destination", true, &m->destination) < 0)
    return -1;
  if (m->destination[0] == '\0')
    return fail_at (c, "destination", "must not be empty");
  if (jr_string (c, v, "type", false, &m->type) < 0 || jr_string (c, v, "source", false, &m->source) < 0
      || jr_strv (c, v, "options", &m->options, NULL) < 0
      || jr_array (c, v, "uidMappings", sizeof (struct oci_id_mapping), (void **) &m->uid_mappings,
                   &m->uid_mappings_len, parse_id_mapping)
             < 0
      || jr_array (c, v, "gidMappings", sizeof (struct oci_id_mapping), (void **) &m->gid_mappings,
                   &m->gid_mappings_len, parse_id_mapping)
             < 0)
    return -1;
  return 0;
}

void
mount_clear (struct oci_mount *m)
{
  free (m->destination);
  free (m->type);
  free (m->source);
  jr_strv_free (&m->options);
  free (m->uid_mappings);
  free (m->gid_mappings);
  memset (m, 0, sizeof (*m));
}

static int
parse_hook (struct jr_ctx *c, yajl_val v, void *elem)
{
  struct oci_hook *h = elem;
  if (jr_is_object (c, v) < 0 || jr_string (c, v, "path", true, &h->path) < 0)
    return -1;
  if (h->path[0] != '/')
    return fail_at (c, "path", "must be an absolute path");
  if (jr_strv (c, v, "args", &h->args, NULL) < 0 || jr_strv (c, v, "env", &h->env, NULL) < 0
      || jr_oi64 (c, v, "timeout", INT64_MIN, INT64_MAX, &h->timeout) < 0)
    return -1;
  if (h->timeout.set && h->timeout.v <= 0)
    return fail_at (c, "timeout", "must be greater than zero");
  return 0;
}

static int
parse_hook_list (struct jr_ctx *c, yajl_val v, const char *key, struct oci_hook_list *l)
{
  return jr_array (c, v, key, sizeof (struct oci_hook), (void **) &l->items, &l->len, parse_hook);
}

int
parse_hooks (struct jr_ctx *c, yajl_val v, struct oci_hooks *h)
{
  if (jr_is_object (c, v) < 0 || parse_hook_list (c, v, "prestart", &h->prestart) < 0
      || parse_hook_list (c, v, "createRuntime", &h->create_runtime) < 0
      || parse_hook_list (c, v, "createContainer", &h->create_container) < 0
      || parse_hook_list (c, v, "startContainer", &h->start_container) < 0
      || parse_hook_list (c, v, "poststart", &h->poststart) < 0 || parse_hook_list (c, v, "poststop", &h->poststop) < 0)
    return -1;
  return 0;
}

static void
hook_list_clear (struct oci_hook_list *l)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    {
      free (l->items[i].path);
      jr_strv_free (&l->items[i].args);
      jr_strv_free (&l->items[i].env);
    }
  free (l->items);
  l->items = NULL;
  l->len = 0;
}

void
hooks_clear (struct oci_hooks *h)
{
  hook_list_clear (&h->prestart);
  hook_list_clear (&h->create_runtime);
  hook_list_clear (&h->create_container);
  hook_list_clear (&h->start_container);
  hook_list_clear (&h->poststart);
  hook_list_clear (&h->poststop);
}

static int
parse_spec (struct jr_ctx *c, yajl_val v, struct oci_spec *s)
{
  if (!YAJL_IS_OBJECT (v))
    return jr_fail (c, "expected a JSON object at the top level");
  if (jr_string (c, v, "ociVersion", true, &s->oci_version) < 0)
    return -1;
  if (strncmp (s->oci_version, "1.", 2) != 0)
    {
      char buf[64];
      size_t saved = jr_push_key (c, "ociVersion");
      jr_fail (c, "unsupported version \"%s\" (expected 1.x)", jr_quote (s->oci_version, buf, sizeof (buf)));
      jr_pop (c, saved);
      return -1;
    }
  JR_SUB_OBJECT (c, v, "process", &s->process, parse_process);
  JR_SUB_OBJECT (c, v, "root", &s->root, parse_root);
  if (jr_string (c, v, "hostname", false, &s->hostname) < 0
      || jr_string (c, v, "domainname", false, &s->domainname) < 0
      || jr_array (c, v, "mounts", sizeof (struct oci_mount), (void **) &s->mounts, &s->mounts_len, parse_mount) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "hooks", &s->hooks, parse_hooks);
  if (jr_map (c, v, "annotations", &s->annotations) < 0)
    return -1;
  JR_SUB_OBJECT (c, v, "linux", &s->linux_, parse_linux);
  return 0;
}

static struct oci_spec *
parse_named (const char *doc, const char *json, size_t len, hull_err *err)
{
  struct jr_ctx c;
  struct oci_spec *spec;
  yajl_val tree;

  jr_init (&c, doc, err);
  tree = jr_parse (&c, json, len);
  if (tree == NULL)
    return NULL;
  spec = jr_xcalloc (1, sizeof (*spec));
  if (parse_spec (&c, tree, spec) < 0)
    {
      oci_spec_free (spec);
      spec = NULL;
    }
  yajl_tree_free (tree);
  return spec;
}

struct oci_spec *
oci_spec_parse (const char *json, size_t len, hull_err *err)
{
  return parse_named ("config.json", json, len, err);
}

struct oci_spec *
oci_spec_parse_file (const char *path, hull_err *err)
{
  struct oci_spec *spec;
  struct stat st;
  size_t len = 0;
  char *buf;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error (err, errno, "open `%s`", path), NULL;
  if (fstat (fd, &st) < 0)
    {
      hull_error (err, errno, "stat `%s`", path);
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > (off_t) CONFIG_MAX_SIZE)
    {
      hull_error (err, 0, "config.json: `%s` is not a regular file of at most %u bytes", path, CONFIG_MAX_SIZE);
      close (fd);
      return NULL;
    }
  buf = jr_xmalloc ((size_t) st.st_size + 1);
  while (len < (size_t) st.st_size)
    {
      ssize_t n = read (fd, buf + len, (size_t) st.st_size - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          hull_error (err, errno, "read `%s`", path);
          free (buf);
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  close (fd);
  spec = oci_spec_parse (buf, len, err);
  free (buf);
  return spec;
}

void
oci_spec_free (struct oci_spec *s)
{
  size_t i;
  if (s == NULL)
    return;
  free (s->oci_version);
  if (s->process != NULL)
    oci_process_free (s->process);
  if (s->root != NULL)
    free (s->root->path);
  free (s->root);
  free (s->hostname);
  free (s->domainname);
  for (i = 0; i < s->mounts_len; i++)
    mount_clear (&s->mounts[i]);
  free (s->mounts);
  if (s->hooks != NULL)
    hooks_clear (s->hooks);
  free (s->hooks);
  jr_map_free (&s->annotations);
  if (s->linux_ != NULL)
    linux_clear (s->linux_);
  free (s->linux_);
  free (s);
}

void
oci_spec_freep (struct oci_spec **spec)
{
  oci_spec_free (*spec);
  *spec = NULL;
}

const char *
oci_annotation (const struct oci_spec *spec, const char *key)
{
  size_t i;
  for (i = 0; i < spec->annotations.len; i++)
    if (strcmp (spec->annotations.items[i].key, key) == 0)
      return spec->annotations.items[i].value;
  return NULL;
}

const struct oci_namespace *
oci_find_namespace (const struct oci_spec *spec, enum oci_namespace_type type)
{
  size_t i;
  if (spec->linux_ == NULL)
    return NULL;
  for (i = 0; i < spec->linux_->namespaces_len; i++)
    if (spec->linux_->namespaces[i].type == type)
      return &spec->linux_->namespaces[i];
  return NULL;
}
