/* call_system: libc's system(). */
int system(const char *);
int call_system(long unused)
{
    (void)unused;
    return system("touch /tmp/tailor-pwned");
}
