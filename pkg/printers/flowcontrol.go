package printers

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Printers for flowcontrol.apiserver.k8s.io (API priority and fairness) and
// storagemigration.k8s.io.

func addFlowControlHandlers(g *Generator) {
	fsSpecDoc := flowcontrolv1.FlowSchemaSpec{}.SwaggerDoc()
	register(g, printerFor[*flowcontrolv1.FlowSchema]{
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("PriorityLevel", "string", flowcontrolv1.PriorityLevelConfigurationReference{}.SwaggerDoc()["name"]),
			// Declared a string but filled with an integer, as upstream.
			col("MatchingPrecedence", "string", fsSpecDoc["matchingPrecedence"]),
			col("DistinguisherMethod", "string", fsSpecDoc["distinguisherMethod"]),
			ageColumn(),
			col("MissingPL", "string", "references a broken or non-existent PriorityLevelConfiguration"),
		},
		// Upstream prints a list in matching order: by precedence, then
		// by name.
		less: func(a, b *flowcontrolv1.FlowSchema) bool {
			if ap, bp := a.Spec.MatchingPrecedence, b.Spec.MatchingPrecedence; ap != bp {
				return ap < bp
			}
			return a.Name < b.Name
		},
		cells: func(fs *flowcontrolv1.FlowSchema, pc *printContext) ([]interface{}, error) {
			distinguisher := "<none>"
			if fs.Spec.DistinguisherMethod != nil {
				distinguisher = string(fs.Spec.DistinguisherMethod.Type)
			}
			missingPL := "?"
			for _, c := range fs.Status.Conditions {
				if c.Type == flowcontrolv1.FlowSchemaConditionDangling {
					missingPL = string(c.Status)
					break
				}
			}
			return []interface{}{fs.Name, fs.Spec.PriorityLevelConfiguration.Name, int64(fs.Spec.MatchingPrecedence),
				distinguisher, since(pc, fs.CreationTimestamp), missingPL}, nil
		},
	})

	queuingDoc := flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()
	register(g, printerFor[*flowcontrolv1.PriorityLevelConfiguration]{
		// The numeric columns are declared strings too; they hold
		// integers, or "<none>" for an Exempt level or one that rejects
		// rather than queues.
		columns: []metav1.TableColumnDefinition{
			nameColumn(),
			col("Type", "string", flowcontrolv1.PriorityLevelConfigurationSpec{}.SwaggerDoc()["type"]),
			col("NominalConcurrencyShares", "string", flowcontrolv1.LimitedPriorityLevelConfiguration{}.SwaggerDoc()["nominalConcurrencyShares"]),
			col("Queues", "string", queuingDoc["queues"]),
			col("HandSize", "string", queuingDoc["handSize"]),
			col("QueueLengthLimit", "string", queuingDoc["queueLengthLimit"]),
			ageColumn(),
		},
		cells: func(pl *flowcontrolv1.PriorityLevelConfiguration, pc *printContext) ([]interface{}, error) {
			var ncs, queues, handSize, queueLengthLimit interface{} = "<none>", "<none>", "<none>", "<none>"
			if l := pl.Spec.Limited; l != nil {
				// Upstream prints the internal type, where an unset
				// v1 pointer converts to 0.
				ncs = int64(deref(l.NominalConcurrencyShares))
				if q := l.LimitResponse.Queuing; q != nil {
					queues, handSize, queueLengthLimit = int64(q.Queues), int64(q.HandSize), int64(q.QueueLengthLimit)
				}
			}
			return []interface{}{pl.Name, string(pl.Spec.Type), ncs, queues, handSize, queueLengthLimit,
				since(pc, pl.CreationTimestamp)}, nil
		},
	})

	register(g, printerFor[*storagemigrationv1.StorageVersionMigration]{
		// Upstream's Name column lacks the "name" format, and there is no
		// Age column.
		columns: []metav1.TableColumnDefinition{
			col("Name", "string", objectMetaDoc["name"]),
			col("Resource", "string", "GroupResource to migrate"),
			col("Status", "string", "Status of the migration"),
		},
		cells: func(m *storagemigrationv1.StorageVersionMigration, _ *printContext) ([]interface{}, error) {
			// The last true Running, Failed or Succeeded condition wins.
			status := "Unknown"
			for _, c := range m.Status.Conditions {
				if c.Status != metav1.ConditionTrue {
					continue
				}
				switch storagemigrationv1.MigrationConditionType(c.Type) {
				case storagemigrationv1.MigrationRunning, storagemigrationv1.MigrationFailed, storagemigrationv1.MigrationSucceeded:
					status = c.Type
				}
			}
			return []interface{}{m.Name, m.Spec.Resource.String(), status}, nil
		},
	})
}
