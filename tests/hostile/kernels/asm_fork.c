/* asm_fork: fork() by a raw `syscall`, in a loop (a fork bomb). */
long asm_fork(long times)
{
    long ret = 0;
    for (long i = 0; i < times; i++)
        __asm__ volatile("syscall" : "=a"(ret) : "a"(57L) : "rcx", "r11", "memory");
    return ret;
}
