use super::*;

#[test]
fn bare_instcombine_runs_without_the_fixpoint_abort() {
    assert_eq!(
        normalize_pipeline("function(sroa,instcombine,simplifycfg)"),
        "function(sroa,instcombine<no-verify-fixpoint>,simplifycfg)"
    );
    assert_eq!(
        normalize_pipeline("instcombine"),
        "instcombine<no-verify-fixpoint>"
    );
    assert_eq!(
        normalize_pipeline("instcombine<max-iterations=2>"),
        "instcombine<max-iterations=2>"
    );
    assert_eq!(normalize_pipeline("default<O3>"), "default<O3>");
    assert_eq!(
        normalize_pipeline("aggressive-instcombine"),
        "aggressive-instcombine"
    );
}
