/* asm_kill_parent: kill(getppid(), SIGKILL) by raw `syscall`s: the parent of
 * a forked child is the executor. */
long asm_kill_parent(long sig)
{
    long ppid, ret;
    __asm__ volatile("syscall" : "=a"(ppid) : "a"(110L) : "rcx", "r11", "memory");
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(62L), "D"(ppid), "S"(sig)
                     : "rcx", "r11", "memory");
    return ret;
}
