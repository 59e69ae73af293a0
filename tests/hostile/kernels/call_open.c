/* call_open: libc's open(). */
int open(const char *, int, ...);
int call_open(int flags)
{
    return open("/etc/passwd", flags);
}
