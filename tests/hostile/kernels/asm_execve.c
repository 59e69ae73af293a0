/* asm_execve: execve("/bin/sh", {"/bin/sh", "-c", cmd}, 0) by a raw `syscall`. */
long asm_execve(long unused)
{
    static const char sh[] = "/bin/sh", c[] = "-c", cmd[] = "touch /tmp/tailor-pwned";
    const char *argv[] = {sh, c, cmd, 0};
    long ret;
    (void)unused;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(59L), "D"(sh), "S"(argv), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}
