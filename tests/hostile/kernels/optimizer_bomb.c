/*
 * optimizer_bomb: 256 sequential loops of 3000 iterations, each marked
 * `unroll(full)`. Each unrolls to just under LLVM's pragma threshold
 * (16K instructions), so the generic build's default<O3> turns a 300-line
 * kernel into ~3 million instructions in one block: it cannot finish within
 * the suite's 5 s transform deadline.
 */
double optimizer_bomb(const double *a)
{
    double s = 0.0;
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0001 + a[(i * 1) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0002 + a[(i * 3) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0003 + a[(i * 5) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0004 + a[(i * 7) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0005 + a[(i * 9) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0006 + a[(i * 11) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0007 + a[(i * 13) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0008 + a[(i * 15) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0009 + a[(i * 17) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0010 + a[(i * 19) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0011 + a[(i * 21) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0012 + a[(i * 23) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0013 + a[(i * 25) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0014 + a[(i * 27) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0015 + a[(i * 29) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0016 + a[(i * 31) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0017 + a[(i * 33) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0018 + a[(i * 35) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0019 + a[(i * 37) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0020 + a[(i * 39) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0021 + a[(i * 41) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0022 + a[(i * 43) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0023 + a[(i * 45) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0024 + a[(i * 47) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0025 + a[(i * 49) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0026 + a[(i * 51) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0027 + a[(i * 53) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0028 + a[(i * 55) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0029 + a[(i * 57) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0030 + a[(i * 59) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0031 + a[(i * 61) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0032 + a[(i * 63) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0033 + a[(i * 65) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0034 + a[(i * 67) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0035 + a[(i * 69) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0036 + a[(i * 71) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0037 + a[(i * 73) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0038 + a[(i * 75) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0039 + a[(i * 77) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0040 + a[(i * 79) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0041 + a[(i * 81) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0042 + a[(i * 83) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0043 + a[(i * 85) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0044 + a[(i * 87) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0045 + a[(i * 89) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0046 + a[(i * 91) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0047 + a[(i * 93) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0048 + a[(i * 95) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0049 + a[(i * 97) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0050 + a[(i * 99) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0051 + a[(i * 101) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0052 + a[(i * 103) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0053 + a[(i * 105) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0054 + a[(i * 107) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0055 + a[(i * 109) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0056 + a[(i * 111) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0057 + a[(i * 113) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0058 + a[(i * 115) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0059 + a[(i * 117) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0060 + a[(i * 119) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0061 + a[(i * 121) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0062 + a[(i * 123) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0063 + a[(i * 125) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0064 + a[(i * 127) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0065 + a[(i * 129) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0066 + a[(i * 131) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0067 + a[(i * 133) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0068 + a[(i * 135) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0069 + a[(i * 137) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0070 + a[(i * 139) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0071 + a[(i * 141) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0072 + a[(i * 143) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0073 + a[(i * 145) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0074 + a[(i * 147) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0075 + a[(i * 149) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0076 + a[(i * 151) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0077 + a[(i * 153) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0078 + a[(i * 155) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0079 + a[(i * 157) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0080 + a[(i * 159) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0081 + a[(i * 161) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0082 + a[(i * 163) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0083 + a[(i * 165) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0084 + a[(i * 167) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0085 + a[(i * 169) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0086 + a[(i * 171) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0087 + a[(i * 173) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0088 + a[(i * 175) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0089 + a[(i * 177) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0090 + a[(i * 179) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0091 + a[(i * 181) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0092 + a[(i * 183) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0093 + a[(i * 185) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0094 + a[(i * 187) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0095 + a[(i * 189) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0096 + a[(i * 191) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0097 + a[(i * 193) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0098 + a[(i * 195) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0099 + a[(i * 197) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0100 + a[(i * 199) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0101 + a[(i * 201) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0102 + a[(i * 203) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0103 + a[(i * 205) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0104 + a[(i * 207) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0105 + a[(i * 209) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0106 + a[(i * 211) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0107 + a[(i * 213) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0108 + a[(i * 215) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0109 + a[(i * 217) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0110 + a[(i * 219) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0111 + a[(i * 221) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0112 + a[(i * 223) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0113 + a[(i * 225) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0114 + a[(i * 227) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0115 + a[(i * 229) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0116 + a[(i * 231) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0117 + a[(i * 233) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0118 + a[(i * 235) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0119 + a[(i * 237) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0120 + a[(i * 239) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0121 + a[(i * 241) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0122 + a[(i * 243) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0123 + a[(i * 245) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0124 + a[(i * 247) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0125 + a[(i * 249) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0126 + a[(i * 251) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0127 + a[(i * 253) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0128 + a[(i * 255) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0129 + a[(i * 257) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0130 + a[(i * 259) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0131 + a[(i * 261) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0132 + a[(i * 263) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0133 + a[(i * 265) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0134 + a[(i * 267) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0135 + a[(i * 269) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0136 + a[(i * 271) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0137 + a[(i * 273) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0138 + a[(i * 275) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0139 + a[(i * 277) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0140 + a[(i * 279) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0141 + a[(i * 281) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0142 + a[(i * 283) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0143 + a[(i * 285) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0144 + a[(i * 287) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0145 + a[(i * 289) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0146 + a[(i * 291) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0147 + a[(i * 293) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0148 + a[(i * 295) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0149 + a[(i * 297) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0150 + a[(i * 299) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0151 + a[(i * 301) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0152 + a[(i * 303) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0153 + a[(i * 305) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0154 + a[(i * 307) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0155 + a[(i * 309) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0156 + a[(i * 311) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0157 + a[(i * 313) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0158 + a[(i * 315) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0159 + a[(i * 317) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0160 + a[(i * 319) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0161 + a[(i * 321) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0162 + a[(i * 323) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0163 + a[(i * 325) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0164 + a[(i * 327) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0165 + a[(i * 329) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0166 + a[(i * 331) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0167 + a[(i * 333) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0168 + a[(i * 335) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0169 + a[(i * 337) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0170 + a[(i * 339) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0171 + a[(i * 341) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0172 + a[(i * 343) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0173 + a[(i * 345) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0174 + a[(i * 347) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0175 + a[(i * 349) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0176 + a[(i * 351) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0177 + a[(i * 353) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0178 + a[(i * 355) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0179 + a[(i * 357) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0180 + a[(i * 359) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0181 + a[(i * 361) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0182 + a[(i * 363) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0183 + a[(i * 365) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0184 + a[(i * 367) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0185 + a[(i * 369) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0186 + a[(i * 371) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0187 + a[(i * 373) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0188 + a[(i * 375) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0189 + a[(i * 377) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0190 + a[(i * 379) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0191 + a[(i * 381) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0192 + a[(i * 383) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0193 + a[(i * 385) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0194 + a[(i * 387) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0195 + a[(i * 389) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0196 + a[(i * 391) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0197 + a[(i * 393) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0198 + a[(i * 395) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0199 + a[(i * 397) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0200 + a[(i * 399) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0201 + a[(i * 401) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0202 + a[(i * 403) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0203 + a[(i * 405) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0204 + a[(i * 407) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0205 + a[(i * 409) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0206 + a[(i * 411) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0207 + a[(i * 413) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0208 + a[(i * 415) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0209 + a[(i * 417) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0210 + a[(i * 419) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0211 + a[(i * 421) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0212 + a[(i * 423) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0213 + a[(i * 425) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0214 + a[(i * 427) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0215 + a[(i * 429) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0216 + a[(i * 431) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0217 + a[(i * 433) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0218 + a[(i * 435) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0219 + a[(i * 437) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0220 + a[(i * 439) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0221 + a[(i * 441) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0222 + a[(i * 443) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0223 + a[(i * 445) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0224 + a[(i * 447) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0225 + a[(i * 449) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0226 + a[(i * 451) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0227 + a[(i * 453) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0228 + a[(i * 455) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0229 + a[(i * 457) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0230 + a[(i * 459) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0231 + a[(i * 461) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0232 + a[(i * 463) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0233 + a[(i * 465) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0234 + a[(i * 467) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0235 + a[(i * 469) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0236 + a[(i * 471) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0237 + a[(i * 473) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0238 + a[(i * 475) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0239 + a[(i * 477) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0240 + a[(i * 479) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0241 + a[(i * 481) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0242 + a[(i * 483) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0243 + a[(i * 485) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0244 + a[(i * 487) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0245 + a[(i * 489) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0246 + a[(i * 491) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0247 + a[(i * 493) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0248 + a[(i * 495) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0249 + a[(i * 497) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0250 + a[(i * 499) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0251 + a[(i * 501) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0252 + a[(i * 503) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0253 + a[(i * 505) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0254 + a[(i * 507) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0255 + a[(i * 509) & 7];
#pragma clang loop unroll(full)
    for (int i = 0; i < 3000; i++) s = s * 0.0256 + a[(i * 511) & 7];
    return s;
}
