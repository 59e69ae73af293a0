/* call_fopen: stdio. */
typedef struct FILE FILE;
FILE *fopen(const char *, const char *);
long call_fopen(long unused)
{
    (void)unused;
    return (long)fopen("/etc/passwd", "r");
}
