//! MSTICPy's YAML pivot pipelines: parsing, printing as pandas code (MSTICPy's expected text),
//! YAML round trip, and running chained pivot steps.

use mstic_core::Frame;
use mstic_pivot::*;

const TEST_PIPELINES: &str = r#"
pipelines:
  pipeline1:
    description: Pipeline 1 description
    steps:
      - name: get_logons
        step_type: pivot
        function: util.whois
        entity: IpAddress
        comment: Standard pivot function
        params:
          column: IpAddress
          join: inner
      - name: disp_logons
        step_type: pivot_display
        comment: Pivot display
        params:
          title: "The title"
          cols:
              - Computer
              - Account
          query: Computer.str.startswith('MSTICAlerts')
          head: 10
      - name: tee_logons
        step_type: pivot_tee
        comment: Pivot tee
        params:
          var_name: var_df
          clobber: True
      - name: tee_logons_disp
        step_type: pivot_tee_exec
        comment: Pivot tee_exec with mp_timeline.plot
        function: mp_timeline.plot
        params:
          source_columns:
              - Computer
              - Account
      - name: logons_timeline
        step_type: pd_accessor
        comment: Standard accessor with mp_timeline.plot
        function: mp_timeline.plot
        pos_params:
          - one
          - 2
        params:
          source_columns:
              - Computer
              - Account
  pipeline2:
    description: Pipeline 2 description
    steps:
      - name: get_logons
        step_type: pivot
        function: util.whois
        entity: IpAddress
        comment: Standard pivot function
        params:
          column: IpAddress
          join: inner
"#;

/// MSTICPy's printed code for the test pipeline, except that a string holding `'` is written in
/// `"…"` (MSTICPy prints `query='Computer.str.startswith('MSTICAlerts')'`, which does not parse).
const EXPECTED_OUTPUT: &str = "# Pipeline 1 description
(
    input_df
    # Standard pivot function
    .mp_pivot.run(IpAddress.util.whois, column='IpAddress', join='inner')
    # Pivot display
    .mp_pivot.display(title='The title', query=\"Computer.str.startswith('MSTICAlerts')\", cols=['Computer', 'Account'], head=10)
    # Pivot tee
    .mp_pivot.tee(var_name='var_df', clobber=True)
    # Pivot tee_exec with mp_timeline.plot
    .mp_pivot.tee_exec('mp_timeline.plot', source_columns=['Computer', 'Account'])
    # Standard accessor with mp_timeline.plot
    .mp_timeline.plot('one', 2, source_columns=['Computer', 'Account'])
)";

#[test]
fn yaml_pipelines_parse_and_print_as_msticpy() {
    let pipelines = Pipeline::from_yaml(TEST_PIPELINES).unwrap();
    assert_eq!(pipelines.len(), 2);
    assert_eq!(pipelines[0].name, "pipeline1");
    assert_eq!(pipelines[0].description.as_deref(), Some("Pipeline 1 description"));
    assert_eq!(pipelines[0].steps.len(), 5);
    assert_eq!(pipelines[1].steps.len(), 1);
    assert_eq!(pipelines[0].pipeline_code("input_df", true), EXPECTED_OUTPUT);
    let no_comments: Vec<&str> = EXPECTED_OUTPUT.lines().filter(|l| !l.trim().starts_with('#')).collect();
    assert_eq!(pipelines[0].pipeline_code("input_df", false), no_comments.join("\n"));
}

#[test]
fn pipeline_yaml_round_trips() {
    let pipeline = Pipeline::from_yaml(TEST_PIPELINES).unwrap().remove(0);
    let again = Pipeline::parse_pipeline(&pipeline.to_yaml()).unwrap();
    assert_eq!(again, pipeline);
}

#[test]
fn bad_step_types_are_named() {
    let err = Pipeline::from_yaml("pipelines:\n  p:\n    steps:\n      - name: s1\n        step_type: pivt\n").unwrap_err().to_string();
    assert!(err.contains("pipeline 'p'") && err.contains("pivt") && err.contains("did you mean: pivot"), "{err}");
}

#[test]
fn chained_pivot_steps_run_on_a_frame() {
    let pivots = Pivots::new();
    let urls = Frame::from_string_rows(
        &["Url"],
        &[vec![Some("https://www.contoso.com/a?x=1")], vec![Some("http://login.microsoft.com/b#f")]],
    )
    .unwrap();
    let pipeline = Pipeline::new("urls", Some("URL parts then their domains"))
        .step(PipelineStep::pivot("parts", "Url", "util.url_components", "Url", Some("left")))
        .step(PipelineStep::pivot("domains", "Dns", "util.dns_components", "host", Some("inner")))
        .step(PipelineStep {
            name: "tee".into(),
            step_type: "pivot_tee".into(),
            function: None,
            entity: None,
            comment: None,
            pos_params: vec![],
            params: serde_yaml_ng::from_str("var_name: url_domains").unwrap(),
        });
    let result = pipeline.run(&pivots, &urls).unwrap();
    assert_eq!(result.column_strings("registered_domain").unwrap(), vec![Some("contoso.com".into()), Some("microsoft.com".into())]);
    assert_eq!(result.column_strings("Url").unwrap()[1].as_deref(), Some("http://login.microsoft.com/b#f"));
    assert_eq!(pivots.teed("url_domains").unwrap().len(), 2);
    let text = pipeline.pipeline_code("urls_df", false);
    assert!(text.contains(".mp_pivot.run(Url.util.url_components, column='Url', join='left')"), "{text}");
}

#[test]
fn printed_pipelines_quote_strings_as_python_does() {
    let yaml = r#"hosts:
  description: Filter then pivot
  steps:
    - name: filter
      step_type: pd_accessor
      function: query
      pos_params: ["Computer == 'ws1'"]
      params: {engine: "py\\thon", note: "both ' and \""}
    - name: tee
      step_type: pivot_tee_exec
      function: "it's"
      params: {}
"#;
    let pipeline = Pipeline::parse_pipeline(yaml).expect("pipeline");
    let code = pipeline.pipeline_code("df", false);
    let expected = [
        "(",
        "    df",
        r#"    .query("Computer == 'ws1'", engine='py\\thon', note='both \' and "')"#,
        r#"    .mp_pivot.tee_exec("it's", )"#,
        ")",
    ];
    assert_eq!(code, expected.join("\n"));
}
