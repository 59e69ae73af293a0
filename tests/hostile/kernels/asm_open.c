/* asm_open: open("/etc/passwd", O_RDONLY) by a raw `syscall` instruction,
 * bypassing libc (and so the allow-list of calls). */
long asm_open(long flags)
{
    long ret;
    static const char path[] = "/etc/passwd";
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(2L), "D"(path), "S"(flags), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}
