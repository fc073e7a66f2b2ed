/* process.*: the executable lookup, rlimits, hostname, cwd and the file
   descriptors that reach execve(). */
#include "namespaces/ns_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_lookup (const struct oci_strv *env, const char *name)
{
  size_t l = strlen (name);
  const char *found = NULL;
  for (size_t i = 0; i < env->len; i++)
    if (strncmp (env->items[i], name, l) == 0 && env->items[i][l] == '=')
      found = env->items[i] + l + 1;   /* the last one wins, as execve sees it */
  return found;
}

static bool
is_executable_file (const char *path, int *errnum)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      *errnum = errno;
      return false;
    }
  if (S_ISDIR (st.st_mode))
    {
      *errnum = EISDIR;
      return false;
    }
  if (access (path, X_OK) < 0)
    {
      *errnum = errno;
      return false;
    }
  return true;
}

/* Like Go's exec.LookPath, which is what runc users see: the message names
   $PATH when the name has no slash. */
int
process_find_executable (const struct oci_process *p, char **out, hull_err *err)
{
  const char *name = p->args.len > 0 ? p->args.items[0] : NULL;
  const char *path;
  int errnum = ENOENT;

  if (name == NULL || *name == '\0')
    return hull_error (err, 0, "process.args: must be a non-empty array");
  if (strchr (name, '/') != NULL)
    {
      if (!is_executable_file (name, &errnum))
        return hull_error (err, errnum, "exec: \"%s\"", name);
      *out = xstrdup (name);
      return 0;
    }
  path = env_lookup (&p->env, "PATH");
  if (path == NULL)
    path = DEFAULT_PATH;
  for (const char *dir = path;;)
    {
      size_t l = strcspn (dir, ":");
      cleanup_free char *cand = xasprintf ("%.*s/%s", (int) (l ? l : 1), l ? dir : ".", name);
      int e;
      if (is_executable_file (cand, &e))
        {
          *out = steal_ptr (&cand);
          return 0;
        }
      if (e == EACCES)
        errnum = EACCES;
      if (dir[l] == '\0')
        break;
      dir += l + 1;
    }
  if (errnum == EACCES)
    return hull_error (err, 0, "exec: \"%s\": permission denied", name);
  return hull_error (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int
rlimit_from_name (const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE (rlimits); i++)
    if (strcmp (rlimits[i].name, name) == 0)
      return rlimits[i].resource;
  return -1;
}

int
process_apply_rlimits (const struct oci_process *p, hull_err *err)
{
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      int res = rlimit_from_name (r->type);
      struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };

      if (res < 0)
        return hull_error (err, 0, "process.rlimits: unknown rlimit `%s`", r->type ? r->type : "");
      if (r->soft > r->hard)
        return hull_error (err, 0, "process.rlimits: %s: soft limit %llu is greater than the hard limit %llu",
                           r->type, (unsigned long long) r->soft, (unsigned long long) r->hard);
      if (setrlimit (res, &rl) < 0)
        {
          struct rlimit cur;
          int e = errno;
          if (e == EPERM && getrlimit (res, &cur) == 0 && rl.rlim_max > cur.rlim_max)
            return hull_error (err, e,
                               "setrlimit %s (soft %llu, hard %llu): raising the hard limit above %llu "
                               "needs CAP_SYS_RESOURCE",
                               r->type, (unsigned long long) r->soft, (unsigned long long) r->hard,
                               (unsigned long long) cur.rlim_max);
          if (e == EPERM && res == RLIMIT_NOFILE)
            return hull_error (err, e, "setrlimit %s (soft %llu, hard %llu): above fs.nr_open?", r->type,
                               (unsigned long long) r->soft, (unsigned long long) r->hard);
          return hull_error (err, e, "setrlimit %s (soft %llu, hard %llu)", r->type,
                             (unsigned long long) r->soft, (unsigned long long) r->hard);
        }
    }
  return 0;
}

int
process_set_hostname (struct ns_init *in, hull_err *err)
{
  const char *h = in->spec->hostname;
  const char *d = in->spec->domainname;

  if (h != NULL && *h != '\0' && sethostname (h, strlen (h)) < 0)
    return hull_error (err, errno, "sethostname `%s`", h);
  if (d != NULL && *d != '\0' && setdomainname (d, strlen (d)) < 0)
    return hull_error (err, errno, "setdomainname `%s`", d);
  return 0;
}

/* CVE-2024-21626: a cwd reached through a leaked fd (/proc/self/fd/N) lands
   outside the root.  getcwd() then fails (ENOENT) or returns a path not
   starting with '/': refuse both. */
int
process_chdir (const char *cwd, hull_err *err)
{
  char buf[PATH_MAX];

  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  if (cwd[0] != '/')
    return hull_error (err, 0, "process.cwd `%s`: must be an absolute path", cwd);
  if (chdir (cwd) < 0)
    return hull_error (err, errno, "chdir to cwd (\"%s\") set in config.json", cwd);
  if (getcwd (buf, sizeof buf) == NULL)
    return hull_error (err, errno, "current working directory is outside of the container root");
  if (buf[0] != '/')
    return hull_error (err, 0, "current working directory is outside of the container root");
  return 0;
}

/* Only stdio and the preserved fds survive execve: everything else is
   marked close-on-exec (CVE-2024-21626: no fd to the host may reach the
   process).  Marking instead of closing happens before the seccomp filter
   and needs no syscall afterwards that an old profile may refuse. */
int
process_close_fds (int preserve_fds, hull_err *err)
{
  unsigned first = 3 + (preserve_fds > 0 ? (unsigned) preserve_fds : 0);

  for (int fd = 3; fd < (int) first; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0 && (fl & FD_CLOEXEC))
        fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return hull_error (err, errno, "close_range");
  /* Kernels before 5.11: walk /proc/self/fd. */
  {
    DIR *d = opendir ("/proc/self/fd");
    struct dirent *de;
    if (d == NULL)
      return hull_error (err, errno, "open /proc/self/fd");
    while ((de = readdir (d)) != NULL)
      {
        int fd = atoi (de->d_name);
        if (de->d_name[0] != '.' && fd >= (int) first && fd != dirfd (d))
          fcntl (fd, F_SETFD, FD_CLOEXEC);
      }
    closedir (d);
  }
  return 0;
}

/* HOME from the container's /etc/passwd when process.env has none, as
   runc and crun do; "/" when the user has no entry. */
static char *
home_of (uid_t uid)
{
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  char *line = NULL, *home = NULL;
  size_t cap = 0;

  while (f != NULL && home == NULL && getline (&line, &cap, f) > 0)
    {
      /* name:passwd:uid:gid:gecos:home:shell */
      char *fields[7] = { 0 };
      char *p = line;
      int n = 0;
      line[strcspn (line, "\n")] = '\0';
      while (n < 7 && p != NULL)
        {
          fields[n++] = p;
          p = strchr (p, ':');
          if (p != NULL)
            *p++ = '\0';
        }
      if (n >= 6 && fields[2][0] != '\0' && strtoul (fields[2], NULL, 10) == uid && fields[5][0] == '/')
        home = xstrdup (fields[5]);
    }
  free (line);
  return home != NULL ? home : xstrdup ("/");
}

char **
process_env_with_home (const struct oci_process *p)
{
  char **env;
  cleanup_free char *home = NULL;

  if (env_lookup (&p->env, "HOME") != NULL)
    return p->env.items;
  home = home_of (p->user.uid);
  env = xcalloc (p->env.len + 2, sizeof *env);
  for (size_t i = 0; i < p->env.len; i++)
    env[i] = p->env.items[i];
  env[p->env.len] = xasprintf ("HOME=%s", home);
  return env;
}
