package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// QueryFields are what a query template (alarms.queries, alarms.compare,
// datapoints) may use: {{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}} and
// {{.Variant}}. The alarms package executes the templates with them.
func QueryFields() []string { return []string{"Target", "Stage", "SHA", "Since", "Variant"} }

// CheckQueryTemplate checks a query template: it parses, uses only
// QueryFields, and neither loops nor defines templates, so that executing
// it is cheap and cannot fail on a field the file invented. The error
// reads after the key's path ("alarms.queries.x is not ...").
func CheckQueryTemplate(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("must not be empty")
	case len(s) > maxQueryLen:
		return fmt.Errorf("is %d bytes long; at most %d", len(s), maxQueryLen)
	}
	t, err := template.New("query").Parse(s)
	if err != nil {
		return fmt.Errorf("is not a valid template: %w", err)
	}
	if len(t.Templates()) > 1 {
		return errors.New("must not define templates")
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	return checkNode(t.Tree.Root)
}

func fieldsRule() string {
	var fs []string
	for _, f := range QueryFields() {
		fs = append(fs, "{{."+f+"}}")
	}
	return strings.Join(fs[:len(fs)-1], ", ") + " and " + fs[len(fs)-1]
}

func checkNode(n parse.Node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(c); err != nil {
				return err
			}
		}
	case *parse.TextNode, *parse.CommentNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode, *parse.IdentifierNode:
	case *parse.ActionNode:
		return checkNode(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Cmds {
			if err := checkNode(c); err != nil {
				return err
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			if err := checkNode(a); err != nil {
				return err
			}
		}
	case *parse.FieldNode:
		return checkField(n.Ident, n.String())
	case *parse.VariableNode:
		if len(n.Ident) > 1 {
			if n.Ident[0] != "$" {
				return fmt.Errorf("uses %s; a query may only use %s", n.String(), fieldsRule())
			}
			return checkField(n.Ident[1:], n.String())
		}
	case *parse.IfNode:
		return checkTemplateBranch(&n.BranchNode)
	case *parse.WithNode:
		return checkTemplateBranch(&n.BranchNode)
	case *parse.DotNode:
		return fmt.Errorf("uses {{.}} alone; a query may only use %s", fieldsRule())
	default:
		return fmt.Errorf("uses %s; a query may only use %s, with if, with and the built-in functions", n.String(), fieldsRule())
	}
	return nil
}

func checkTemplateBranch(b *parse.BranchNode) error {
	for _, c := range []parse.Node{b.Pipe, b.List, b.ElseList} {
		if err := checkNode(c); err != nil {
			return err
		}
	}
	return nil
}

func checkField(ident []string, written string) error {
	if len(ident) != 1 || !slices.Contains(QueryFields(), ident[0]) {
		return fmt.Errorf("uses {{%s}}; a query may only use %s", written, fieldsRule())
	}
	return nil
}
